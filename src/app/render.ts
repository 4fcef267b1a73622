// Reporters write to streams; images carry their SBOM as a blob: render a report to a string.
import { Writable } from 'node:stream';

export async function renderToString(write: (out: Writable) => Promise<void>): Promise<string> {
  const chunks: Buffer[] = [];
  await write(
    new Writable({
      write(c, _e, cb) {
        chunks.push(Buffer.from(c));
        cb();
      },
    }),
  );
  return Buffer.concat(chunks).toString('utf8');
}
