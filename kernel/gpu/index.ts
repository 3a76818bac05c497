// GPUs: detection with nvidia-smi, the exclusive allocation table, and stats polled into gpu.stats events. Other
// kernel code imports only here.
export { GpuManager, type GpuOptions } from './GpuManager.js';
export { GpuAllocator, type AllocatableGpu } from './GpuAllocator.js';
export { queryGpus, type Detection, type QueryOptions } from './detect.js';
export { NVIDIA_SMI_ARGS, QUERY_FIELDS, parseNvidiaSmi, type ParseResult } from './parse.js';
export { nvidiaDeviceNodes, type DeviceNodeRoots } from './deviceNodes.js';
