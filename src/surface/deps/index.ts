// The dependency doctor: Python requirements and CUDA/framework/driver compatibility → `dependency` findings.
export {
  diagnoseDependencies,
  environmentOf,
  pythonVersionOfPath,
  systemPythonVersion,
  DEPS_ANALYZER_NAME,
} from './doctor.ts';
export type { DependencyDoctorOptions, DependencyReport, PythonEnvironmentSummary, CudaSummary } from './doctor.ts';
export { driverNeededFor, compareDotted, CUDA_DRIVER_TABLE, MINOR_COMPAT_DRIVER } from './cuda-driver-table.ts';
export type { DriverNeed, DriverRequirement } from './cuda-driver-table.ts';
