import Foundation

/// A tiny parallel-for over the machine's cores (two here), for the memory-bound passes outside the GEMM and
/// convolution kernels: elementwise maps, reductions, softmax, normalization, attention. Below it, the
/// convolution kernels' workers (`forEachWorker`: one contiguous range of samples per core) and their
/// scratch buffers.
///
/// Rules that keep results identical from run to run, whatever the thread timing:
/// - the chunks of a range depend only on its size (never on which thread runs first);
/// - every output element is written by exactly one chunk;
/// - a reduction over chunks (`chunkedSum`-style code) keeps one partial result per chunk and combines the
///   partials afterwards in chunk order, on one thread.
/// Small ranges run on the calling thread: even an awake second core costs a few microseconds per region.
/// Regions run through `perform` (ForkJoin.swift), whose helper thread spins between them.
enum Parallel {
    /// Cores to use: at most 2 (the machine this course targets); 1 on a single-core machine.
    static let cores = max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))

    /// The fixed chunks of `0..<count`: `chunkCount(count, grain)` pieces of (nearly) equal size.
    /// `grain` is the least work (in items) worth a chunk of its own.
    static func chunkCount(_ count: Int, grain: Int) -> Int {
        guard count > 0 else { return 0 }
        return max(1, min(cores, count / max(grain, 1)))
    }

    /// Chunk `i` of `chunks` over `0..<count`.
    @inline(__always)
    static func chunk(_ i: Int, of chunks: Int, count: Int) -> Range<Int> {
        (count * i / chunks)..<(count * (i + 1) / chunks)
    }

    /// Calls `body(range)` on the chunks of `0..<count`, concurrently when there are several.
    /// `body` must only write memory that belongs to its own range (distinct outputs per chunk).
    static func forEachChunk(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(count, grain: grain)
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        // Each chunk touches disjoint outputs, which is what makes handing `body` to another thread sound.
        perform(chunks) { i in body(chunk(i, of: chunks, count: count)) }
    }
}

/// Wraps a value that is shared across threads under a rule the compiler cannot check (disjoint writes).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

// MARK: - The convolution kernels' workers and scratch buffers

extension Parallel {
    /// Workers of a convolution over `batch` samples: one per core, and no more than there are samples.
    static func workers(batch: Int) -> Int { min(GEMM.defaultThreads, batch) }

    /// Runs `body(worker, samples)` on each worker (one per core) with its contiguous range of samples.
    /// A batch of one runs on the calling thread.
    ///
    /// Splitting the batch between the cores, each running single-threaded GEMMs on its own samples with its
    /// own scratch buffers, is faster than sequential samples with a 2-thread GEMM: the packing and padding
    /// copies run in parallel too, and there is no synchronisation per sample. For a weight gradient each
    /// worker sums into its own partial dW, and the partials are added at the end, in worker order.
    static func forEachWorker(batch: Int, _ body: @escaping @Sendable (Int, Range<Int>) -> Void) {
        let workers = workers(batch: batch)
        if workers <= 1 {
            if batch > 0 { body(0, 0..<batch) }
            return
        }
        perform(workers) { w in
            body(w, (batch * w / workers)..<(batch * (w + 1) / workers))
        }
    }
}

/// A 64-byte aligned float buffer owned by one worker, freed when it goes out of scope.
final class Scratch {
    let p: UnsafeMutablePointer<Float>
    init(_ count: Int) {
        p = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
    }
    deinit { p.deallocate() }
}
