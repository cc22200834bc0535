import Diffusion
import XCTest

final class LineChartTests: XCTestCase {
    func lossCurve(_ n: Int) -> [Double] {
        (0..<n).map { step -> Double in
            let t = Double(step)
            let decay: Double = 0.9 * exp(-t / 200)
            let noise: Double = 0.02 * sin(t * 1.7)
            return 0.05 + decay + noise
        }
    }

    func testRendersRequestedSizeWithInk() {
        let raw = LineChart.Series(name: "loss", values: lossCurve(2000), color: RGB(160, 190, 230))
        let chart = LineChart(title: "Training loss", xLabel: "step", yLabel: "MSE",
                              series: [raw, raw.smoothed(color: RGB(31, 119, 180))], logY: true)
        let image = chart.render(width: 640, height: 400)
        XCTAssertEqual(image.width, 640)
        XCTAssertEqual(image.height, 400)
        var nonWhite = 0, seriesColored = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let pixel = image[x, y]
                if pixel != .white { nonWhite += 1 }
                if pixel == RGB(31, 119, 180) { seriesColored += 1 }
            }
        }
        XCTAssertGreaterThan(nonWhite, 3000)
        XCTAssertGreaterThan(seriesColored, 100, "the smoothed line is drawn in its color")
    }

    func testDegenerateInputsDoNotCrash() {
        let cases: [[LineChart.Series]] = [
            [],
            [LineChart.Series(name: "", points: [])],
            [LineChart.Series(name: "one", points: [(3, 3)])],
            [LineChart.Series(name: "flat", values: [1, 1, 1])],
            [LineChart.Series(name: "bad", points: [(0, .nan), (1, .infinity), (2, -1), (3, 0), (4, 2)])],
        ]
        for series in cases {
            for logY in [false, true] {
                let image = LineChart(series: series, logY: logY).render(width: 50, height: 30)
                XCTAssertEqual(image.width, 120)  // raised to the minimum size
                XCTAssertEqual(image.height, 80)
            }
        }
    }

    func testTicks() {
        let ticks = ChartAxis.linearTicks(low: 0, high: 1, target: 5)
        XCTAssertEqual(ticks.step, 0.2, accuracy: 1e-12)
        XCTAssertEqual(ticks.values.count, 6)
        XCTAssertEqual(ticks.values.map { ChartAxis.label($0, step: ticks.step) }, ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        let steps = ChartAxis.linearTicks(low: 0, high: 50000, target: 5)
        XCTAssertEqual(steps.values.map { ChartAxis.label($0, step: steps.step) }, ["0", "10k", "20k", "30k", "40k", "50k"])
        XCTAssertEqual(ChartAxis.logTicks(low: 0.0009, high: 1.2), [0.001, 0.01, 0.1, 1])
        XCTAssertEqual(ChartAxis.logTicks(low: 0.03, high: 0.6), [0.05, 0.1, 0.2, 0.5])
    }

    func testLabels() {
        XCTAssertEqual(ChartAxis.label(1e-4, step: 0), "1e-4")
        XCTAssertEqual(ChartAxis.label(2.5e-4, step: 1e-4), "2.5e-4")
        XCTAssertEqual(ChartAxis.label(0.02, step: 0.01), "0.02")
        XCTAssertEqual(ChartAxis.label(1500000, step: 500000), "1.5M")
        XCTAssertEqual(ChartAxis.label(-3, step: 1), "-3")
        XCTAssertEqual(ChartAxis.scientific(9.9999e-4), "1e-3")
    }

    func testExponentialMovingAverage() {
        let smooth = LineChart.exponentialMovingAverage([4, 4, 4, .nan, 4], factor: 0.9)
        XCTAssertEqual(smooth.count, 5)
        for value in smooth { XCTAssertEqual(value, 4, accuracy: 1e-12) }  // bias correction: no ramp from 0
        let step = LineChart.exponentialMovingAverage([0, 1], factor: 0.5)
        XCTAssertEqual(step[1], 0.5 / 0.75, accuracy: 1e-12)
    }
}
