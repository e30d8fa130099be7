// Draws media/icon.png (128x128): two opposite arrows, i.e. bytes going out and coming back, on a
// rounded tile. Pure Node (zlib + CRC) so the icon can be regenerated without an image editor.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const size = 128;
const background = [0x1e, 0x4f, 0x8a];
const outgoing = [0xff, 0xb3, 0x3b];
const incoming = [0x7f, 0xe0, 0xc4];

/** Coverage of one pixel by a shape, sampled 4x4 so edges are anti-aliased. */
function coverage(x, y, inside) {
  let hits = 0;
  for (let sy = 0; sy < 4; sy++) {
    for (let sx = 0; sx < 4; sx++) {
      if (inside(x + (sx + 0.5) / 4, y + (sy + 0.5) / 4)) hits++;
    }
  }
  return hits / 16;
}

function roundedTile(px, py) {
  const radius = 24;
  const cx = Math.min(Math.max(px, radius), size - radius);
  const cy = Math.min(Math.max(py, radius), size - radius);
  return (px - cx) ** 2 + (py - cy) ** 2 <= radius ** 2;
}

/** A horizontal arrow: shaft from x0 to the head's base, head pointing toward x1. */
function arrow(x0, x1, centreY) {
  const direction = Math.sign(x1 - x0);
  const headLength = 26;
  const headHalf = 17;
  const shaftHalf = 7;
  const headBase = x1 - direction * headLength;
  return (px, py) => {
    const along = (px - x0) * direction;
    const shaftEnd = (headBase - x0) * direction;
    if (along >= 0 && along <= shaftEnd && Math.abs(py - centreY) <= shaftHalf) return true;
    const intoHead = (px - headBase) * direction;
    if (intoHead < 0 || intoHead > headLength) return false;
    return Math.abs(py - centreY) <= headHalf * (1 - intoHead / headLength);
  };
}

const layers = [
  { colour: background, inside: roundedTile },
  { colour: outgoing, inside: arrow(22, 106, 46) },
  { colour: incoming, inside: arrow(106, 22, 82) },
];

const raw = Buffer.alloc(size * (size * 4 + 1));
for (let y = 0; y < size; y++) {
  raw[y * (size * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < size; x++) {
    let rgba = [0, 0, 0, 0];
    for (const layer of layers) {
      const a = coverage(x, y, layer.inside);
      if (a === 0) continue;
      const outAlpha = a + (rgba[3] / 255) * (1 - a);
      const mix = (c, i) => (c * a + rgba[i] * (rgba[3] / 255) * (1 - a)) / outAlpha;
      rgba = [mix(layer.colour[0], 0), mix(layer.colour[1], 1), mix(layer.colour[2], 2), outAlpha * 255];
    }
    raw.set(rgba.map(Math.round), y * (size * 4 + 1) + 1 + x * 4);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(size, 0);
header.writeUInt32BE(size, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync('media', { recursive: true });
writeFileSync('media/icon.png', png);
console.log(`media/icon.png: ${png.length} bytes`);
