/**
 * setupFiles of the webgpu suite: Dawn on SwiftShader, the software Vulkan driver Debian's chromium
 * ships, so the GPU code path runs the same on every machine, GPU or not. Set before Dawn loads the
 * Vulkan loader; child processes (the CLI) inherit it. `--allow-software-gpu` is the tests' to give.
 */
import { existsSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
