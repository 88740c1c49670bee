// The shared CUDA runtime helpers (accord/gpu/runtime.hpp, runtime.cuh): error checks,
// device queries, the scratch buffer, copies and the generic reductions.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "runtime.cuh"

namespace accord::gpu {

void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  (void)cudaGetLastError();  // do not let a (non-sticky) error leak into a later check
  throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorName(err) +
                           ": " + cudaGetErrorString(err));
}

// ---- device queries --------------------------------------------------------------

int device_count() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

int runtime_version() noexcept {
  int v = 0;
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) (void)cudaGetLastError();
  return v;
}

int driver_version() noexcept {
  int v = 0;
  if (cudaDriverGetVersion(&v) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return v;
}

namespace {

// An integer device attribute, 0 when the query fails.
int attribute_or_zero(cudaDeviceAttr attr, int device) {
  int value = 0;
  if (cudaDeviceGetAttribute(&value, attr, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return value;
}

}  // namespace

std::vector<DeviceInfo> devices() {
  std::vector<DeviceInfo> out;
  const int count = device_count();
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    ACCORD_CHECK(cudaGetDeviceProperties(&prop, i));
    DeviceInfo d{};
    d.index = i;
    d.name = prop.name;
    d.major = prop.major;
    d.minor = prop.minor;
    d.total_memory = prop.totalGlobalMem;
    // cudaDeviceProp::memoryClockRate is gone in CUDA 13; the attributes remain.
    const int bus = attribute_or_zero(cudaDevAttrGlobalMemoryBusWidth, i);
    const int clock = attribute_or_zero(cudaDevAttrMemoryClockRate, i);
    d.memory_bus_width = bus;
    d.memory_clock_khz = clock;
    d.peak_bandwidth =
        (bus > 0 && clock > 0) ? 2.0 * static_cast<double>(clock) * 1000.0 * (bus / 8.0) : -1.0;
    out.push_back(d);
  }
  return out;
}

Device current_device() {
  Device d{};
  ACCORD_CHECK(cudaGetDevice(&d.id));
  ACCORD_CHECK(cudaDeviceGetAttribute(&d.sms, cudaDevAttrMultiProcessorCount, d.id));
  int pools = 0;
  ACCORD_CHECK(cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, d.id));
  d.pools = pools != 0;
  return d;
}

// ---- scratch memory and copies -----------------------------------------------------

Scratch::~Scratch() {
  if (!base_) return;
  const cudaError_t err = pools_ ? cudaFreeAsync(base_, stream_) : cudaFree(base_);
  if (err != cudaSuccess) (void)cudaGetLastError();
}

void Scratch::allocate() {
  if (size_ == 0 || base_) return;
  if (pools_)
    ACCORD_CHECK(cudaMallocAsync(&base_, size_, stream_));
  else
    ACCORD_CHECK(cudaMalloc(&base_, size_));
}

void copy_to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (bytes) ACCORD_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
}

void copy_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (bytes) ACCORD_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}

void finish(cudaStream_t stream) { ACCORD_CHECK(cudaStreamSynchronize(stream)); }

// ---- generic reductions ----------------------------------------------------------

namespace {

constexpr int kColumnBlock = 256;
constexpr int kRowBlock = 256;

__global__ void sum_columns_kernel(const double* __restrict__ a, int rows, int cols,
                                   double* __restrict__ out) {
  for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x) {
    double s = 0.0;
    for (int r = 0; r < rows; ++r) s += a[static_cast<std::int64_t>(r) * cols + c];
    out[c] = s;
  }
}

__global__ void __launch_bounds__(kRowBlock)
    sum_rows_kernel(const double* __restrict__ a, std::int64_t len, double* __restrict__ out) {
  __shared__ double buf[kRowBlock];
  const double* row = a + static_cast<std::int64_t>(blockIdx.x) * len;
  double s = 0.0;
  for (std::int64_t t = threadIdx.x; t < len; t += kRowBlock) s += row[t];
  s = block_sum(s, buf);
  if (threadIdx.x == 0) out[blockIdx.x] = s;
}

}  // namespace

void sum_columns(const double* a, int rows, int cols, double* out, cudaStream_t stream) {
  if (cols <= 0) return;
  const auto grid = static_cast<unsigned>(ceil_div(cols, kColumnBlock));
  sum_columns_kernel<<<grid, kColumnBlock, 0, stream>>>(a, rows, cols, out);
  ACCORD_CHECK_LAUNCH("sum_columns");
}

void sum_rows(const double* a, int rows, std::int64_t len, double* out, cudaStream_t stream) {
  if (rows <= 0) return;
  sum_rows_kernel<<<static_cast<unsigned>(rows), kRowBlock, 0, stream>>>(a, len, out);
  ACCORD_CHECK_LAUNCH("sum_rows");
}

}  // namespace accord::gpu
