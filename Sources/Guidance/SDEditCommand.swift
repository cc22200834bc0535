import ArgumentParser
import ChapterSupport
import Diffusion
import Foundation
import TensorCore

/// SDEdit: a digit noised to a strength s and denoised as each target class (Diffusion/Editing/SDEdit.swift).
struct SDEditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdedit",
        abstract: "Re-draw a digit as other classes: noise it to a strength s in (0, 1], denoise it as each class (SDEdit).",
        discussion: """
            Rows are strengths, columns the source and then the target classes. Without --image the digit is
            one of the MNIST test set (--index). Examples:
              Guidance sdedit                                   (test digit 0, a 7, as every class)
              Guidance sdedit --image my-three.png --strengths 0.3,0.5,0.7
              Guidance sdedit --index 4 --classes 3,8 --strengths 0.5 --steps 20
            """)

    @OptionGroup var edit: EditOptions

    @Option(help: "The MNIST test-set digit to edit when no --image is given.")
    var index = 0

    @Option(help: "Strengths s in (0, 1], comma separated: the picture is noised to t0 = sT (1: pure noise).")
    var strengths = "0.25,0.5,0.75,1"

    @Option(help: "Target classes, comma separated.")
    var classes = "0,1,2,3,4,5,6,7,8,9"

    @Option(help: "Classifier-free guidance scale w.")
    var guidance = SamplingSettings.defaults.guidance

    @OptionGroup(title: "Sampler (its steps are spent on t0...0)") var solver: SamplerOptions

    func validate() throws {
        for s in try numbers(strengths, flag: "strengths") where !(s.isFinite && s > 0 && s <= 1) {
            throw ValidationError("--strengths must each be in (0, 1] (0: no change, 1: from pure noise), got \(s)")
        }
        _ = try classList(classes, flag: "classes")
        guard index >= 0 else { throw ValidationError("--index must be a test-set index, got \(index)") }
    }

    func run() throws {
        let trained = try edit.load()
        let source: Tensor
        if let path = edit.image { source = try edit.pictureFromFile(path) } else { source = try edit.testDigits([index], flag: "index").images }
        let targets = try classList(classes, flag: "classes"), levels = try numbers(strengths, flag: "strengths")
        let settings = solver.settings(guidance: guidance)
        var tiles: [Tensor] = []
        let counts = levels.map { SDEdit.stepCount(strength: $0, settings: settings, timesteps: trained.schedule.steps) }
        let bar = progressBar("sdedit", total: counts.reduce(0, +), items: targets.count)
        for (row, s) in levels.enumerated() {
            let batch = Tensor.concat(Array(repeating: source, count: targets.count), axis: 0)
            let before = counts[..<row].reduce(0, +)
            let out = try SDEdit.edit(trained, images: batch, labels: targets, strength: s, settings: settings, seed: edit.seed &+ UInt64(row)) { done, _ in
                bar.update(before + done, 0)
            }
            tiles.append(source)
            tiles.append(out)
        }
        bar.bar.finish()
        let grid = ImageGrid.make(Tensor.concat(tiles, axis: 0).clamped(-1, 1), columns: targets.count + 1, range: -1...1, scale: 3,
                                  rowLabels: levels.map { "s=\($0)" }, columnLabels: ["in"] + targets.map(String.init))
        try writeImage(grid, try edit.directory(), "sdedit.png", "SDEdit: rows s = \(strengths), columns the source and classes \(classes)")
    }
}
