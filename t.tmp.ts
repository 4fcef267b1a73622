import { createReadStream } from 'node:fs';
import { createGoBuildInfoSink } from './src/catalog/golang/parse-go-buildinfo.ts';
for (const f of process.argv.slice(2)) {
  const s = createGoBuildInfoSink();
  const t = Date.now();
  for await (const c of createReadStream(f, { highWaterMark: 65536 })) s.write(c as Buffer);
  const r = s.end();
  console.log(
    f,
    Date.now() - t,
    'ms',
    r.problems,
    r.info?.goVersion,
    r.info?.format,
    r.info?.path,
    r.info?.main,
    r.info?.deps.length,
    r.info?.deps.slice(0, 3),
    r.info?.settings.slice(0, 3),
  );
}
