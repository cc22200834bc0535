/// Whether ops record the autodiff graph.
///
/// Training records every op so that `backward()` can run; sampling runs thousands of forward passes and
/// must record nothing (no graph, no memory growth). The flag is task-local (scoped to the current task or
/// thread), not a mutable global: `withoutGrad { ... }` switches it off for the code inside.
public enum GradMode {
    @TaskLocal public static var isEnabled: Bool = true
}

/// Runs `body` with recording off: tensors it produces carry no autodiff history.
@inlinable public func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false) { try body() }
}
