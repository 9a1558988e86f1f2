// The batch_size range and default, one definition for every layer:
// clara.streaming_batch_size and clara_stream's batch_size (extension), the
// HTTP API's "batch_size" and clara-stream's --batch-size (client).
#pragma once

namespace clara {

constexpr int kMinBatchSize = 1;
constexpr int kMaxBatchSize = 100000;
// The seed's STREAMING_BATCH_SIZE.
constexpr int kDefaultBatchSize = 100;

}  // namespace clara
