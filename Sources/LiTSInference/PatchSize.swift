import Foundation

/// A patch's extent: `d` slices (k), `h` rows (j), `w` columns (i).
public struct PatchSize: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var d: Int
    public var h: Int
    public var w: Int

    public init(d: Int, h: Int, w: Int) {
        self.d = d
        self.h = h
        self.w = w
    }

    /// The baseline's patch: 168x168 in-plane (the whole preprocessed slice), 16 slices.
    public static let baseline = PatchSize(d: 16, h: 168, w: 168)

    public var count: Int { d * h * w }

    /// In the volumes' shape order, i x j x k: "168x168x16".
    public var description: String { "\(w)x\(h)x\(d)" }
}
