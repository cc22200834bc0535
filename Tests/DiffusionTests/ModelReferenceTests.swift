import XCTest
import TensorCore
@testable import Diffusion

/// Our models against PyTorch / diffusers on the same weights and inputs: output, loss, the gradient of
/// every parameter and of the input (see Tests/Reference/MANIFEST.md).
final class ModelReferenceTests: XCTestCase {
    /// Loads the reference weights into `model`, runs forward and backward, and compares everything.
    func checkAgainstReference(_ model: some DenoisingModel, file name: String, timesteps: Bool, classes: Bool) throws {
        let ref = try ReferenceFiles.load(name)
        try model.load(from: ref.filtering { !$0.hasPrefix("io.") && !$0.hasPrefix("grad.") })
        model.eval()
        let input = try ref.tensor("io.input").requiringGrad()
        let t = timesteps ? try ref.ints("io.timesteps").values.map(Float.init) : [Float](repeating: 0, count: input.shape[0])
        let labels = classes ? try ref.ints("io.class_labels").values : nil
        let output = model(input, timesteps: t, classLabels: labels)
        assertClose(output, try ref.tensor("io.output"), "\(name) output")
        let loss = Tensor.mseLoss(output, .zeros(output.shape))
        assertClose(loss.reshaped([1]), try ref.tensor("io.loss"), "\(name) loss")
        loss.backward()
        assertClose(try XCTUnwrap(input.gradient), try ref.tensor("io.input_grad"), "\(name) input gradient")
        let params = model.namedParameters()
        XCTAssertEqual(params.count, ref.names.filter { $0.hasPrefix("grad.") }.count, "\(name): parameter count")
        for (pname, p) in params {
            assertClose(try XCTUnwrap(p.grad, "\(pname) has no gradient"), try ref.tensor("grad." + pname), "\(name) grad.\(pname)")
        }
    }

    func testBasicUNetMatchesPyTorch() throws {
        var rng = SeededGenerator(seed: 0)
        try checkAgainstReference(BasicUNet(rng: &rng), file: "basic_unet.safetensors", timesteps: false, classes: false)
    }

    func testUNet2DModelMatchesDiffusers() throws {
        var rng = SeededGenerator(seed: 0)
        let model = UNet2DModel(rng: &rng)
        XCTAssertEqual(model.parameterCount, 1_707_009, "diffusers reports 1,707,009 parameters for this configuration")
        try checkAgainstReference(model, file: "unet2d.safetensors", timesteps: true, classes: false)
    }

    func testClassConditionalUNet2DModelMatchesDiffusers() throws {
        var config = UNet2DConfig()
        config.numClassEmbeds = 10
        var rng = SeededGenerator(seed: 0)
        try checkAgainstReference(UNet2DModel(config, rng: &rng), file: "unet2d_class.safetensors", timesteps: true, classes: true)
    }

    func testLoadingNamesTheOffendingTensor() throws {
        var rng = SeededGenerator(seed: 0)
        let model = BasicUNet(rng: &rng)
        let good = model.stateDictFile()

        var missing = good
        missing.remove("up_layers.1.bias")
        XCTAssertThrowsError(try model.load(from: missing)) { error in
            XCTAssertEqual(error as? StateDictError, .missing(name: "up_layers.1.bias", source: "<memory>"))
            XCTAssertTrue("\(error)".contains("up_layers.1.bias"))
        }
        var extra = good
        extra.set("up_layers.3.weight", Tensor.zeros([2]))
        XCTAssertThrowsError(try model.load(from: extra)) { error in
            XCTAssertTrue("\(error)".contains("unexpected tensor 'up_layers.3.weight'"), "\(error)")
        }
        var misshaped = good
        misshaped.set("down_layers.0.weight", Tensor.zeros([32, 1, 3, 3]))
        XCTAssertThrowsError(try model.load(from: misshaped)) { error in
            XCTAssertTrue("\(error)".contains("'down_layers.0.weight' has shape [32, 1, 3, 3], the model expects [32, 1, 5, 5]"), "\(error)")
        }
        // A failed load changes nothing.
        XCTAssertEqual(model.stateDictFile(), good)
    }
}

extension SafeTensors {
    /// The subset of tensors whose names satisfy `keep`.
    func filtering(_ keep: (String) -> Bool) -> SafeTensors {
        var out = self
        for name in names where !keep(name) { out.remove(name) }
        return out
    }
}
