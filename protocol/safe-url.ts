// URLs that clients will render as links and images. Quill sanitises on
// its side, but other readers of the content (exports, bots, other
// editors) may not, so a `javascript:` link or an image pointing anywhere
// odd is refused on the way in. Allowed: http(s), mailto (links only),
// relative URLs, and for images small inline raster pictures
// (`data:image/png;base64,…`: what a paste into Quill makes; never SVG,
// which can carry script).

/** Schemes (lower case, with the colon) a link may use; anything else, or an unparseable scheme, is refused. */
const LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:']);
const IMAGE_SCHEMES = new Set(['http:', 'https:']);
const INLINE_IMAGE = /^data:image\/(?:png|gif|jpeg|webp);base64,[A-Za-z0-9+/]*={0,2}$/i;

/**
 * The scheme of `url` as a browser would see it (lower case, with the
 * colon), or null when it has none (a relative URL). Browsers drop ASCII
 * whitespace and control characters anywhere in a scheme (`java\tscript:`)
 * and leading ones before it, so those are removed before looking.
 */
function schemeOf(url: string): string | null {
  // eslint-disable-next-line no-control-regex
  const squeezed = url.replace(/[\u0000-\u0020\u007f]/g, '');
  const match = /^([^:/?#]*):/.exec(squeezed);
  if (!match) return null;
  return `${match[1]!.toLowerCase()}:`;
}

export function isSafeLink(url: string): boolean {
  const scheme = schemeOf(url);
  return scheme === null || LINK_SCHEMES.has(scheme);
}

export function isSafeImage(url: string): boolean {
  const scheme = schemeOf(url);
  if (scheme === null || IMAGE_SCHEMES.has(scheme)) return true;
  return scheme === 'data:' && INLINE_IMAGE.test(url.trim());
}

/** `link`: a link's href; `image`: an image's src; `frame`: an embedded frame's src (Quill's video). */
export function isSafeUrl(url: string, kind: 'link' | 'image' | 'frame'): boolean {
  if (kind === 'link') return isSafeLink(url);
  if (kind === 'image') return isSafeImage(url);
  const scheme = schemeOf(url);
  return scheme === null || IMAGE_SCHEMES.has(scheme);
}
