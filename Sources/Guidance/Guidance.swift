import ArgumentParser

/// Chapter 6 (Chapters/06-Guidance.md): steer a trained model after training. This list holds the editing
/// commands; the guidance commands join it from their own branch.
@main
struct Guidance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chapter 6: guidance and editing: steer the trained model with a loss, a classifier, or your own drawing.",
        discussion: "Start with: swift run -c release Guidance sdedit",
        subcommands: [SDEditCommand.self, InvertCommand.self, InpaintCommand.self])
}
