// Package telemetry turns what devices report into series an operator and
// the assurance loop can use.
//
// The pieces, each usable on its own:
//
//   - Normalizer maps a device's gNMI-style state paths (OpenConfig where
//     OpenConfig has a home for the figure, the lab model /lab/... where it
//     has none) onto netagent's metric names (device.cpu.util, if.in.bps,
//     link.latency.ms, ...; the table is Metrics), turns counters into rates
//     with wrap and reset handled, and refuses garbage and out-of-range
//     values, counting them as drops (by DropReason) instead of storing
//     them.
//   - Store keeps every series in memory: a ring of raw points and a ring
//     of downsampled buckets, both growing to a bound, so a series costs at
//     most a fixed amount of memory whatever runs for how long
//     (SeriesBytes: 8 bytes a point, 14 a bucket).
//   - Adaptive decides each series' sampling interval: faster when a value
//     nears the target of an active intent or changes abruptly, slower when
//     calm, within bounds.
//   - Assess compares a series with an intent's target: the deviation, the
//     compliance ratio over the window, the trend (Holt's linear smoothing
//     over irregular time steps) and the predicted time to breach.
//   - KafkaExporter publishes every stored sample on a Kafka topic
//     (telemetry) as JSON keyed by device, through a bounded buffer: a
//     slow broker costs exported samples (counted), never collection.
//   - Assurer.Subscribe hands assurance events (breach, breach predicted,
//     recovered) to whoever publishes them, the signed event stream.
//
// Every type here is safe for concurrent use unless its doc says otherwise.
// Nothing here starts a goroutine; the collector that feeds the store owns
// its goroutines and stops them when its context ends.
package telemetry
