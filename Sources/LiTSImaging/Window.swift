import Foundation
import LiTSCore

/// An intensity window in HU, e.g. the baseline's liver window [-100, 400].
public struct HUWindow: Equatable, Sendable, Codable {
    public var low: Float
    public var high: Float

    public init(low: Float, high: Float) {
        precondition(low < high, "window low must be below high")
        self.low = low
        self.high = high
    }

    public static let liver = HUWindow(low: -100, high: 400)
    public static let abdomen = HUWindow(low: -160, high: 240)
    public static let softTissue = HUWindow(low: -125, high: 225)
    public static let bone = HUWindow(low: 300, high: 1500)

    /// The named windows the commands accept.
    public static let presets: [(name: String, window: HUWindow)] = [
        ("liver", .liver), ("abdomen", .abdomen), ("soft-tissue", .softTissue), ("bone", .bone),
    ]
}

extension Volume where T == Float {
    /// Values clipped to the window (still in HU).
    public func clipped(to w: HUWindow) -> Volume<Float> {
        let (lo, hi) = (w.low, w.high)
        return Volume(grid: grid, voxels: HugePages.array(count: count) { (out: UnsafeMutableBufferPointer<Float>) in
            voxels.withUnsafeBufferPointer { src in
                for i in 0..<src.count {
                    let v = src[i]
                    out[i] = v < lo ? lo : (v > hi ? hi : v)
                }
            }
        })
    }
}
