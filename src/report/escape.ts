/** Text into HTML or an attribute: every character that could end a tag or attribute, as an entity. */
export const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
