import Foundation
#if canImport(Darwin)
import Darwin
#endif

/// The data-cache sizes of the CPU this process runs on, as the operating system reports them: on Linux the
/// files under /sys/devices/system/cpu/cpu0/cache/index*/ (level, type, size), on macOS sysctl. The GEMM's
/// blocking is derived from them (GEMMBlocking.swift), so a machine with a bigger L1 or L2 gets bigger blocks
/// without anyone naming its CPU model.
public struct CacheSizes: Equatable, Codable, Sendable, CustomStringConvertible {
    /// Bytes of level-1 data cache per core.
    public var l1d: Int
    /// Bytes of level-2 cache per core (or per the cores that share it).
    public var l2: Int
    /// Bytes of level-3 cache (0 when there is none or it is unknown).
    public var l3: Int
    /// False when the OS told us nothing and the sizes are the fallback below.
    public var reported: Bool

    public init(l1d: Int, l2: Int, l3: Int = 0, reported: Bool = true) {
        (self.l1d, self.l2, self.l3, self.reported) = (l1d, l2, l3, reported)
    }

    /// What most x86 and ARM cores of the last decade have at least: 32 KB L1d, 1 MB L2.
    public static let fallback = CacheSizes(l1d: 32 << 10, l2: 1 << 20, l3: 0, reported: false)

    /// The sizes of this machine (read once per call; `GEMMBlocking.current` keeps the result).
    public static func thisMachine() -> CacheSizes {
        #if os(Linux)
        return fromSysfs(root: "/sys/devices/system/cpu/cpu0/cache") ?? fallback
        #elseif canImport(Darwin)
        func sysctl(_ name: String) -> Int {
            var value: Int64 = 0
            var size = MemoryLayout<Int64>.size
            return sysctlbyname(name, &value, &size, nil, 0) == 0 ? Int(value) : 0
        }
        let l1 = sysctl("hw.l1dcachesize"), l2 = sysctl("hw.l2cachesize"), l3 = sysctl("hw.l3cachesize")
        return l1 > 0 && l2 > 0 ? CacheSizes(l1d: l1, l2: l2, l3: l3) : fallback
        #else
        return fallback
        #endif
    }

    /// Parses a sysfs cache directory: index*/level, index*/type ("Data", "Instruction", "Unified") and
    /// index*/size ("48K", "2048K", "260M"). Nil when no L1 data and L2 entries are found.
    static func fromSysfs(root: String) -> CacheSizes? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return nil }
        var l1d = 0, l2 = 0, l3 = 0
        for entry in entries where entry.hasPrefix("index") {
            func read(_ name: String) -> String? {
                (try? String(contentsOfFile: "\(root)/\(entry)/\(name)", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let level = read("level").flatMap(Int.init), let type = read("type"),
                  let size = read("size").flatMap(parseSize) else { continue }
            switch (level, type) {
            case (1, "Data"), (1, "Unified"): l1d = size
            case (2, _) where type != "Instruction": l2 = size
            case (3, _) where type != "Instruction": l3 = size
            default: break
            }
        }
        return l1d > 0 && l2 > 0 ? CacheSizes(l1d: l1d, l2: l2, l3: l3) : nil
    }

    /// "48K" -> 49152, "2048K" -> 2 MiB, "260M" -> 260 MiB, "512" -> 512.
    static func parseSize(_ text: String) -> Int? {
        guard let last = text.last else { return nil }
        let (digits, scale): (Substring, Int) = switch last {
        case "K", "k": (text.dropLast(), 1 << 10)
        case "M", "m": (text.dropLast(), 1 << 20)
        case "G", "g": (text.dropLast(), 1 << 30)
        default: (Substring(text), 1)
        }
        guard let n = Int(digits), n > 0 else { return nil }
        return n * scale
    }

    public var description: String {
        func kb(_ b: Int) -> String { b >= 1 << 20 && b % (1 << 20) == 0 ? "\(b >> 20)M" : "\(b >> 10)K" }
        return "L1d \(kb(l1d)), L2 \(kb(l2))\(l3 > 0 ? ", L3 \(kb(l3))" : "")\(reported ? "" : " (not reported: assumed)")"
    }
}
