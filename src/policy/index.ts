// Policy: ignore rules, OpenVEX, severity gates.
export { applyPolicy } from './apply.ts';
export type { PolicyOptions, PolicyResult } from './apply.ts';
export { readIgnoreFile, parseIgnoreFile } from './ignore-file.ts';
export type { IgnoreRule } from './ignore-file.ts';
export { readOpenVex, parseOpenVex } from './openvex.ts';
export type { VexStatement, VexStatus } from './openvex.ts';
export { purlMatches } from './purl-match.ts';
export { driverSatisfies } from './driver.ts';
export { globToRegExp, globMatch, isGlob } from './glob.ts';
