// Compare a TypeScript type with a JSON Schema, both ways: every property of the type is in the schema and every
// property of the schema is in the type, with the same optionality, recursively (arrays, records, discriminated
// unions, string-literal enums). The TypeScript compiler reads the real declarations, so the check follows the code.
import ts from 'typescript';

type Schema = Record<string, unknown>;

export interface TypeSchemaCheck {
  /** one line per disagreement, `path: what` */
  errors: string[];
  /** object types compared (so a test can assert the walk went deep) */
  objectsCompared: number;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  skipLibCheck: true,
  types: ['node'],
};

/**
 * Load `typeName` exported by `file`. `extraSource` (optional) is a virtual module placed next to `file`
 * (`<dir>/__probe__.ts`) that may import from it; when given, `typeName` is read from the probe.
 */
export function loadType(
  file: string,
  typeName: string,
  extraSource?: string,
): { checker: ts.TypeChecker; type: ts.Type } {
  const probe = file.replace(/[^/]+$/, '__probe__.ts');
  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const roots = [file];
  if (extraSource !== undefined) {
    roots.push(probe);
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.getSourceFile = (name, lang, ...rest) =>
      name === probe ? ts.createSourceFile(name, extraSource, lang) : getSourceFile(name, lang, ...rest);
    host.fileExists = (name) => name === probe || fileExists(name);
  }
  const program = ts.createProgram(roots, COMPILER_OPTIONS, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length)
    throw new Error(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(extraSource !== undefined ? probe : file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  const symbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === typeName);
  if (!symbol) throw new Error(`${typeName} is not exported by ${file}`);
  return { checker, type: checker.getDeclaredTypeOfSymbol(symbol) };
}

/** Compare a type with a schema (the root schema resolves `#/$defs/…` references). */
export function compareTypeWithSchema(checker: ts.TypeChecker, type: ts.Type, root: Schema): TypeSchemaCheck {
  const errors: string[] = [];
  const seen = new Set<string>();
  let objectsCompared = 0;
  const ids = new WeakMap<object, number>();
  let nextId = 0;
  const idOf = (o: object): number => {
    const known = ids.get(o);
    if (known !== undefined) return known;
    ids.set(o, ++nextId);
    return nextId;
  };

  const resolve = (s: Schema): Schema => {
    let cur = s;
    for (let i = 0; i < 20 && typeof cur.$ref === 'string'; i++) {
      const ref = cur.$ref as string;
      if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
      cur = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((o, k) => (o as Schema)[k], root) as Schema;
      if (!cur) throw new Error(`unresolved $ref ${ref}`);
    }
    return cur;
  };

  const withoutUndefined = (t: ts.Type): ts.Type[] =>
    (t.isUnion() ? t.types : [t]).filter((m) => !(m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));

  const literalValue = (t: ts.Type): string | number | boolean | undefined => {
    if (t.isStringLiteral() || t.isNumberLiteral()) return t.value;
    if (t.flags & ts.TypeFlags.BooleanLiteral) return checker.typeToString(t) === 'true';
    return undefined;
  };

  const schemaLiterals = (s: Schema): unknown[] | undefined =>
    'const' in s ? [s.const] : Array.isArray(s.enum) ? (s.enum as unknown[]) : undefined;

  function compare(t: ts.Type, rawSchema: Schema, path: string): void {
    const s = resolve(rawSchema);
    const members = withoutUndefined(t);
    const key = `${members.map((m) => (m as { id?: number }).id ?? checker.typeToString(m)).join('|')}@${idOf(s)}`;
    if (seen.has(key)) return;
    seen.add(key);

    // boolean is `true | false` to the checker
    if (members.every((m) => m.flags & ts.TypeFlags.BooleanLike)) {
      if (s.type !== 'boolean' && !('const' in s)) errors.push(`${path}: boolean in the type, not in the schema`);
      return;
    }
    // a union of literals ↔ `enum`/`const`
    if (members.length > 1 && members.every((m) => literalValue(m) !== undefined)) {
      const values = members.map(literalValue);
      const listed = schemaLiterals(s);
      if (!listed) {
        errors.push(`${path}: the type is one of ${values.join(', ')}; the schema lists no enum`);
        return;
      }
      for (const v of values) if (!listed.includes(v)) errors.push(`${path}: '${v}' in the type, not in the schema`);
      for (const v of listed)
        if (!values.includes(v as never)) errors.push(`${path}: '${v}' in the schema, not in the type`);
      return;
    }
    // a union of objects ↔ `oneOf`/`anyOf`, matched by a discriminating literal property
    if (members.length > 1) {
      const branches = ((s.oneOf ?? s.anyOf) as Schema[] | undefined)?.map(resolve);
      if (!branches) {
        errors.push(`${path}: a union in the type (${checker.typeToString(t)}), no oneOf/anyOf in the schema`);
        return;
      }
      // a catch-all branch (`kind` not one of the known ones, for forward compatibility) has no literal to match
      const literal = branches.filter((b) =>
        Object.values((b.properties ?? {}) as Record<string, Schema>).some(
          (p) => schemaLiterals(resolve(p))?.length === 1,
        ),
      );
      if (literal.length !== members.length)
        errors.push(`${path}: ${members.length} union members in the type, ${literal.length} in the schema`);
      for (const m of members) {
        const branch = branches.find((b) =>
          checker.getPropertiesOfType(m).some((p) => {
            const v = literalValue(checker.getTypeOfSymbol(p));
            const bp = (b.properties as Record<string, Schema> | undefined)?.[p.name];
            return v !== undefined && bp !== undefined && schemaLiterals(resolve(bp))?.includes(v);
          }),
        );
        if (!branch) errors.push(`${path}: no schema branch for ${checker.typeToString(m)}`);
        else compare(m, branch, `${path}<${checker.typeToString(m).slice(0, 40)}>`);
      }
      return;
    }
    const one = members[0];
    if (!one) return;
    const lit = literalValue(one);
    if (lit !== undefined) {
      const listed = schemaLiterals(s);
      if (listed && !(listed.length === 1 && listed[0] === lit))
        errors.push(`${path}: '${lit}' in the type, ${JSON.stringify(listed)} in the schema`);
      else if (!listed && s.type !== typeof lit) errors.push(`${path}: '${lit}' in the type, ${s.type} in the schema`);
      return;
    }
    if (one.flags & ts.TypeFlags.StringLike) {
      const listed = schemaLiterals(s);
      if (s.type !== 'string' && !listed?.every((x) => typeof x === 'string'))
        errors.push(`${path}: string in the type, ${JSON.stringify(s.type ?? s)} in the schema`);
      return;
    }
    if (one.flags & ts.TypeFlags.NumberLike) {
      if (s.type !== 'number' && s.type !== 'integer' && typeof s.const !== 'number')
        errors.push(`${path}: number in the type, ${JSON.stringify(s.type)} in the schema`);
      return;
    }
    if (checker.isArrayType(one) || checker.isTupleType(one)) {
      if (s.type !== 'array' || !s.items) {
        errors.push(`${path}: array in the type, not in the schema`);
        return;
      }
      const [item] = checker.getTypeArguments(one as ts.TypeReference);
      compare(item, s.items as Schema, `${path}[]`);
      return;
    }
    if (one.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) {
      objectsCompared++;
      if (s.type !== 'object') errors.push(`${path}: object in the type, ${JSON.stringify(s.type)} in the schema`);
      const index = checker.getIndexInfosOfType(one);
      const props = checker.getPropertiesOfType(one);
      const schemaProps = (s.properties ?? {}) as Record<string, Schema>;
      if (s.propertyNames && !s.properties) {
        // a record over known keys (`Partial<Record<ScannerName, X>>`) ↔ `propertyNames` + `additionalProperties`
        const keys = schemaLiterals(resolve(s.propertyNames as Schema)) ?? [];
        const names = props.map((p) => p.name);
        for (const n of names)
          if (!keys.includes(n)) errors.push(`${path}.${n}: key in the type, not in propertyNames`);
        for (const k of keys)
          if (!names.includes(k as string)) errors.push(`${path}.${k}: key in the schema, not in the type`);
        for (const p of props) {
          if (!(p.flags & ts.SymbolFlags.Optional))
            errors.push(`${path}.${p.name}: required in the type, optional in the schema`);
          compare(checker.getTypeOfSymbol(p), s.additionalProperties as Schema, `${path}.${p.name}`);
        }
        return;
      }
      if (index.length) {
        const extra = s.additionalProperties;
        if (typeof extra !== 'object' || extra === null)
          errors.push(`${path}: a record in the type, no additionalProperties schema`);
        else compare(index[0].type, extra as Schema, `${path}{}`);
      } else if (s.additionalProperties !== false)
        errors.push(`${path}: the schema does not close the object (additionalProperties: false)`);
      const required = new Set((s.required ?? []) as string[]);
      const names = new Set(props.map((p) => p.name));
      for (const name of Object.keys(schemaProps))
        if (!names.has(name)) errors.push(`${path}.${name}: in the schema, not in the type`);
      for (const name of required)
        if (!names.has(name)) errors.push(`${path}.${name}: required by the schema, not in the type`);
      for (const p of props) {
        const at = `${path}.${p.name}`;
        const ps = schemaProps[p.name];
        if (!ps) {
          errors.push(`${at}: in the type, not in the schema`);
          continue;
        }
        const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
        if (optional && required.has(p.name)) errors.push(`${at}: optional in the type, required in the schema`);
        if (!optional && !required.has(p.name)) errors.push(`${at}: required in the type, optional in the schema`);
        compare(checker.getTypeOfSymbol(p), ps, at);
      }
      return;
    }
    errors.push(`${path}: cannot compare ${checker.typeToString(one)}`);
  }

  compare(type, root, '$');
  return { errors, objectsCompared };
}
