import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PACKAGE_TYPES,
  PACKAGE_TYPE_NAMES,
  foldPackageName,
  isOsPackageType,
  packageTypeOfPurlType,
  type PackageTypeInfo,
} from './package-types.ts';

test('the JSON schema lists exactly the package types of the table', () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/report.schema.json'), 'utf8')) as {
    $defs: Record<string, { properties: { type: { enum: string[] } } }>;
  };
  for (const def of ['package', 'packageRef'])
    assert.deepEqual(schema.$defs[def].properties.type.enum, PACKAGE_TYPE_NAMES, `$defs.${def}.properties.type.enum`);
});

test('purl types map back to their package type; generic and unknown ones do not', () => {
  assert.equal(packageTypeOfPurlType('pypi'), 'python');
  assert.equal(packageTypeOfPurlType('DEB'), 'deb');
  assert.equal(packageTypeOfPurlType('conda'), 'conda');
  assert.equal(packageTypeOfPurlType('generic'), undefined);
  assert.equal(packageTypeOfPurlType('npm'), 'npm');
  assert.equal(packageTypeOfPurlType('swift'), undefined);
  // every type with a purl type of its own round-trips
  for (const t of PACKAGE_TYPE_NAMES)
    if (PACKAGE_TYPES[t].purlType !== 'generic') assert.equal(packageTypeOfPurlType(PACKAGE_TYPES[t].purlType), t);
});

test('OS types are exactly those whose advisories are keyed by the OS release', () => {
  assert.deepEqual(
    PACKAGE_TYPE_NAMES.filter((t) => isOsPackageType(t)),
    ['deb', 'apk', 'rpm'],
  );
  for (const t of PACKAGE_TYPE_NAMES)
    assert.equal(PACKAGE_TYPES[t].osvEcosystem === 'from-os-release', isOsPackageType(t), t);
  assert.equal(isOsPackageType('npm'), false);
});

test('names fold the way their ecosystem compares them', () => {
  assert.equal(foldPackageName('python', 'Typing_Extensions'), 'typing-extensions');
  assert.equal(foldPackageName('rpm', 'SDL2'), 'SDL2');
  assert.equal(foldPackageName('conda', 'PyYAML'), 'pyyaml');
});

test('a package type without its facts does not compile', () => {
  // The table is checked with `satisfies Record<string, PackageTypeInfo>`; so is this copy with a half-made entry.
  const extended = {
    ...PACKAGE_TYPES,
    // @ts-expect-error: an entry lacking versionScheme, origin, osvEcosystem and nameFolding is refused by tsc
    swift: { purlType: 'swift', displayName: 'Swift package' },
  } satisfies Record<string, PackageTypeInfo>;
  assert.equal(Object.keys(extended).length, PACKAGE_TYPE_NAMES.length + 1);
});
