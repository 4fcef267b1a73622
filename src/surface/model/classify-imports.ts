// Which pickle imports are safe to load and how dangerous the others are. Loading a pickle calls whatever its
// imports name, so the rule is an allow-list: the names that PyTorch, NumPy and the standard library need to rebuild
// tensors, arrays and plain containers are safe; anything else is at least medium, and names that run commands,
// evaluate code, open files or sockets, or reach arbitrary attributes are critical or high.
import type { Severity } from '../../core/advisory.ts';
import type { PickleImport } from '../../core/fact.ts';

export type ImportRisk = 'safe' | Exclude<Severity, 'negligible' | 'unknown'>;

const SAFE_EXACT = new Set([
  'collections.OrderedDict',
  'collections.defaultdict',
  'collections.Counter',
  'collections.deque',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_device_tensor_from_numpy',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_wrapper_subclass',
  'torch._utils._rebuild_nested_tensor',
  'torch._tensor._rebuild_from_type',
  'torch._tensor._rebuild_from_type_v2',
  'torch.nn.parameter.Parameter',
  'torch.Size',
  'torch.device',
  'torch.Tensor',
  'torch.storage.TypedStorage',
  'torch.storage.UntypedStorage',
  'torch.serialization._get_layout',
  'torch.per_tensor_affine',
  'torch.contiguous_format',
  'torch.channels_last',
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.ndarray',
  'numpy.dtype',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  '_codecs.encode',
  'copyreg._reconstructor',
  'copy_reg._reconstructor',
  'argparse.Namespace',
  'pathlib.PosixPath',
  'pathlib.WindowsPath',
  'datetime.datetime',
  'datetime.date',
  'datetime.timedelta',
  'decimal.Decimal',
  'uuid.UUID',
  'fractions.Fraction',
]);
const SAFE_BUILTINS = new Set([
  'set',
  'frozenset',
  'slice',
  'range',
  'complex',
  'bytearray',
  'bytes',
  'dict',
  'list',
  'tuple',
  'int',
  'float',
  'str',
  'bool',
  'object',
  'NoneType',
  'Ellipsis',
  'NotImplemented',
]);
/** torch dtypes and storages: `torch.float32`, `torch.FloatStorage`, `torch.cuda.HalfStorage` */
const TORCH_DTYPE = new RegExp(
  String.raw`^(?:u?int(?:8|16|32|64)|float(?:16|32|64)|bfloat16|half|double|long|int|short|bool|complex(?:32|64|128)|` +
    String.raw`cfloat|cdouble|q(?:u?int8|int32|uint4x2)|float8_\w+|uint(?:1|2|3|4|5|6|7))$`,
);
const TORCH_STORAGE = /^[A-Z]\w*Storage$/;

const CRITICAL_MODULES = new Set([
  'os',
  'posix',
  'nt',
  'subprocess',
  'pty',
  'runpy',
  'commands',
  'popen2',
  'platform',
  'socket',
  'shutil',
  'webbrowser',
  'ctypes',
  'marshal',
  'importlib',
  'code',
  'codeop',
  'pickle',
  '_pickle',
  'cPickle',
  'dill',
  'cloudpickle',
  'joblib',
  'sys',
  'multiprocessing',
  'asyncio',
  'requests',
  'urllib',
  'urllib2',
  'httplib',
  'http',
  'ftplib',
  'smtplib',
  'telnetlib',
  'tempfile',
  'glob',
  'io',
  '_io',
  'pdb',
  'bdb',
  'timeit',
  'trace',
  'profile',
  'cProfile',
  'signal',
  'pathlib',
  'zipimport',
  'pip',
  'setuptools',
  'distutils',
  'torch.hub',
  'torch.load',
  'torch.serialization',
  'torch.storage',
  'numpy.testing',
  'numpy.f2py',
  'numpy.distutils',
  'builtins.open',
]);
const CRITICAL_BUILTINS = new Set([
  'eval',
  'exec',
  'execfile',
  'compile',
  '__import__',
  'open',
  'input',
  'breakpoint',
  'help',
  'exit',
  'quit',
]);
const HIGH_BUILTINS = new Set([
  'getattr',
  'setattr',
  'delattr',
  'globals',
  'locals',
  'vars',
  'dir',
  'type',
  'super',
  'memoryview',
  'classmethod',
  'staticmethod',
  'property',
  'apply',
]);
const HIGH_MODULES = new Set([
  'operator',
  'functools',
  'types',
  'inspect',
  'gc',
  'weakref',
  'copyreg',
  'copy_reg',
  'builtins',
  '__builtin__',
  'abc',
  'threading',
  '_thread',
  'thread',
  'copyreg.extension',
  '?',
]);

export function classifyImport(imp: Pick<PickleImport, 'module' | 'name'>): ImportRisk {
  const { module, name } = imp;
  const full = `${module}.${name}`;
  if (SAFE_EXACT.has(full)) return 'safe';
  if ((module === 'builtins' || module === '__builtin__') && SAFE_BUILTINS.has(name)) return 'safe';
  if ((module === 'torch' || module === 'torch.cuda') && (TORCH_DTYPE.test(name) || TORCH_STORAGE.test(name)))
    return 'safe';
  if (module === 'torch._utils' && name.startsWith('_rebuild_')) return 'safe';
  if ((module === 'builtins' || module === '__builtin__') && CRITICAL_BUILTINS.has(name)) return 'critical';
  if ((module === 'builtins' || module === '__builtin__') && HIGH_BUILTINS.has(name)) return 'high';
  const root = module.split('.')[0];
  if (CRITICAL_MODULES.has(module) || CRITICAL_MODULES.has(root) || CRITICAL_MODULES.has(full)) return 'critical';
  if (HIGH_MODULES.has(module) || HIGH_MODULES.has(root)) return 'high';
  return 'medium';
}

const RANK: Record<ImportRisk, number> = { safe: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The unsafe imports (deduplicated by module, name and member) and the worst risk among them. */
export function assessImports(imports: readonly PickleImport[]): { unsafe: PickleImport[]; severity: ImportRisk } {
  const seen = new Set<string>();
  const unsafe: PickleImport[] = [];
  let severity: ImportRisk = 'safe';
  for (const imp of imports) {
    const risk = classifyImport(imp);
    if (risk === 'safe') continue;
    if (RANK[risk] > RANK[severity]) severity = risk;
    const key = `${imp.member ?? ''}\n${imp.module}\n${imp.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unsafe.push(imp);
  }
  return { unsafe, severity };
}
