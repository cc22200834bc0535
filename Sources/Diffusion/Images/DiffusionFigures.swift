import Foundation
import TensorCore

/// Pictures of the diffusion process, for the chapters.
public enum DiffusionFigures {
    /// One digit x_0 (`[1, 1, H, W]` in [-1, 1]) noised to x_t at each of `timesteps`, one row per schedule.
    public static func forwardProcess(_ x0: Tensor, schedules: [(String, NoiseSchedule)], timesteps: [Int], seed: UInt64) -> GrayImage {
        var rows: [Tensor] = []
        for (_, schedule) in schedules {
            var rng = SeededGenerator(seed: seed)   // the same noise for every schedule
            let eps = Tensor.randomNormal(x0.shape, using: &rng)
            for t in timesteps { rows.append(schedule.qSample(x0: x0, t: [t], noise: eps)) }
        }
        return ImageGrid.make(Tensor.concat(rows, axis: 0).clamped(-1, 1), columns: timesteps.count, range: -1...1,
                              rowLabels: schedules.map(\.0), columnLabels: timesteps.map { "t=\($0)" })
    }

    /// The reverse process for the first `count` samples: x_t (top rows) and the predicted x_0 (bottom rows)
    /// at each recorded step, left to right from noise to image.
    public static func trajectory(_ trajectory: SamplingTrajectory, final: Tensor, count: Int) -> GrayImage {
        let frames = trajectory.frames
        var tiles: [Tensor] = []
        for i in 0..<count {
            for f in frames { tiles.append(f.sample.narrow(axis: 0, start: i, length: 1)) }
            tiles.append(final.narrow(axis: 0, start: i, length: 1))
        }
        for i in 0..<count {
            for f in frames { tiles.append(f.predictedX0.narrow(axis: 0, start: i, length: 1)) }
            tiles.append(final.narrow(axis: 0, start: i, length: 1))
        }
        let labels = (0..<count).map { "x_t \($0 + 1)" } + (0..<count).map { "x0hat \($0 + 1)" }
        return ImageGrid.make(Tensor.concat(tiles, axis: 0).clamped(-1, 1), columns: frames.count + 1, range: -1...1,
                              rowLabels: labels, columnLabels: frames.map { "t=\($0.t)" } + ["out"])
    }

    /// Rows of samples side by side, each row labelled (e.g. one sampler per row with its wall time).
    public static func rows(_ batches: [(label: String, images: Tensor)], columns: Int) -> GrayImage {
        let tiles = batches.map { $0.images.narrow(axis: 0, start: 0, length: min(columns, $0.images.shape[0])) }
        return ImageGrid.make(Tensor.concat(tiles, axis: 0).clamped(-1, 1), columns: columns, range: -1...1,
                              rowLabels: batches.map(\.label))
    }

    /// A guidance sweep: one row per class; for each column group (real images, then one group per w)
    /// `perClass` samples side by side, so that both what w buys (typical, legible shapes) and what it costs
    /// (variety within a cell) can be seen. Only the first column of a group carries its label.
    /// - parameter groups: a label and `[classes * perClass, 1, H, W]` images in [-1, 1], class-major
    ///   (the `perClass` images of class 0 first).
    public static func sweep(_ groups: [(label: String, images: Tensor)], classes: Int, perClass: Int,
                             scale: Int = 2) -> GrayImage {
        precondition(groups.allSatisfy { $0.images.shape[0] == classes * perClass },
                     "sweep: every group needs classes * perClass images")
        var tiles: [Tensor] = []
        for c in 0..<classes {
            for group in groups {
                for k in 0..<perClass { tiles.append(group.images.narrow(axis: 0, start: c * perClass + k, length: 1)) }
            }
        }
        let labels = groups.flatMap { [$0.label] + Array(repeating: "", count: perClass - 1) }
        return ImageGrid.make(Tensor.concat(tiles, axis: 0).clamped(-1, 1), columns: groups.count * perClass,
                              range: -1...1, scale: scale, rowLabels: (0..<classes).map(String.init),
                              columnLabels: labels)
    }

    /// The denoising as film frames, one per recorded step and a last one for the result: for each of the first
    /// `count` samples (one row each), x_t on the left and the predicted x_0 on the right, as TeaPearce's GIFs.
    public static func animationFrames(_ trajectory: SamplingTrajectory, final: Tensor, count: Int, scale: Int = 4) -> [GrayImage] {
        let n = min(count, final.shape[0])
        func frame(_ left: Tensor, _ right: Tensor, _ label: String) -> GrayImage {
            var tiles: [Tensor] = []
            for i in 0..<n { tiles += [left.narrow(axis: 0, start: i, length: 1), right.narrow(axis: 0, start: i, length: 1)] }
            return ImageGrid.make(Tensor.concat(tiles, axis: 0).clamped(-1, 1), columns: 2, range: -1...1, scale: scale,
                                  columnLabels: [label, "x0hat"])
        }
        return trajectory.frames.map { frame($0.sample, $0.predictedX0, "x_t t=\($0.t)") } + [frame(final, final, "x_0")]
    }
}
