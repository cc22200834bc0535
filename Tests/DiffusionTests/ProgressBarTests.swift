import Diffusion
import XCTest

final class ProgressBarTests: XCTestCase {
    func testDuration() {
        XCTAssertEqual(ProgressFormat.duration(0), "0s")
        XCTAssertEqual(ProgressFormat.duration(59.4), "59s")
        XCTAssertEqual(ProgressFormat.duration(83), "1m23s")
        XCTAssertEqual(ProgressFormat.duration(600), "10m00s")
        XCTAssertEqual(ProgressFormat.duration(3725), "1h02m")
        XCTAssertEqual(ProgressFormat.duration(90061), "1d01h")
        XCTAssertEqual(ProgressFormat.duration(.nan), "?")
        XCTAssertEqual(ProgressFormat.duration(-1), "?")
        XCTAssertEqual(ProgressFormat.duration(.infinity), "?")
    }

    func testRate() {
        XCTAssertEqual(ProgressFormat.rate(1523, unit: "img"), "1.52k img/s")
        XCTAssertEqual(ProgressFormat.rate(312.4, unit: "img"), "312 img/s")
        XCTAssertEqual(ProgressFormat.rate(12.34), "12.3 it/s")
        XCTAssertEqual(ProgressFormat.rate(4.5), "4.50 it/s")
        XCTAssertEqual(ProgressFormat.rate(0.4), "2.50 s/it")
        XCTAssertEqual(ProgressFormat.rate(.nan), "? it/s")
    }

    func testBarAndPercent() {
        XCTAssertEqual(ProgressFormat.bar(fraction: 0.5, width: 4, unicode: false), "##..")
        XCTAssertEqual(ProgressFormat.bar(fraction: 0.5, width: 4), "██  ")
        XCTAssertEqual(ProgressFormat.bar(fraction: 1, width: 3), "███")
        XCTAssertEqual(ProgressFormat.bar(fraction: 0.0625, width: 2), "▏ ")
        XCTAssertEqual(ProgressFormat.bar(fraction: 7, width: 2, unicode: false), "##")
        XCTAssertEqual(ProgressFormat.percent(0.07), "  7%")
        XCTAssertEqual(ProgressFormat.percent(1), "100%")
    }

    func testLine() {
        let line = ProgressFormat.line(label: "train", step: 600, total: 6000, elapsed: 50, rate: "1.52k img/s",
                                       bar: "", metrics: [("loss", "0.0412")])
        XCTAssertEqual(line, "train   600/6000   10%  1.52k img/s  50s<7m30s  loss=0.0412")
    }

    /// A bar driven by a fake clock, collecting what it writes.
    final class Recorder {
        var now = 0.0
        var output: [String] = []
    }

    func testPlainOutputEveryTenPercent() {
        let recorder = Recorder()
        let bar = ProgressBar(total: 100, label: "sample", style: .plain, plainInterval: 1000,
                              write: { recorder.output.append($0) }, clock: { recorder.now })
        for step in 1...100 {
            recorder.now += 0.5
            bar.update(step: step, metrics: [("loss", "1")])
        }
        bar.finish()
        // One line when the first step reports (so a log shows the run started), then one per 10%.
        XCTAssertEqual(recorder.output.count, 11, "\(recorder.output)")
        XCTAssertTrue(recorder.output.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        XCTAssertEqual(recorder.output.last, "sample  100/100  100%  2.00 it/s  50s<0s  loss=1\n")
        bar.update(step: 5)
        XCTAssertEqual(recorder.output.count, 11, "nothing after finish")
    }

    func testInteractiveRedrawsAreThrottled() {
        let recorder = Recorder()
        let bar = ProgressBar(total: 1000, label: "train", itemsPerStep: 64, style: .interactive,
                              write: { recorder.output.append($0) }, clock: { recorder.now })
        for step in 1...1000 {
            recorder.now += 0.01  // 100 steps/s: 10 s in all, so about 100 redraws at 10 per second
            bar.update(step: step)
        }
        bar.finish()
        XCTAssertTrue((90...110).contains(recorder.output.count), "\(recorder.output.count) redraws")
        XCTAssertTrue(recorder.output.allSatisfy { $0.hasPrefix("\r") })
        XCTAssertTrue(recorder.output.last?.contains("6.40k img/s") == true, recorder.output.last ?? "")
        XCTAssertTrue(recorder.output.last?.hasSuffix("\n") == true)
    }
}
