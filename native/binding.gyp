{
  "targets": [
    {
      "target_name": "onednn_addon",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/conv.cc", "src/pool.cc", "src/eltwise.cc", "src/reduce.cc", "src/norm.cc", "src/optim.cc", "src/dense_stack.cc", "src/layer_stack.cc", "src/step_math.cc", "src/checks.cc", "src/primitive_cache.cc", "src/op_codes.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O3", "-march=native", "-fno-math-errno", "-fopenmp", "-fexceptions"],
      "libraries": ["-ldnnl", "-lopenblas", "-fopenmp"]
    }
  ]
}
