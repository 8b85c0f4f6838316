/// The toolkit's version, recorded in every output folder's marker.
public enum LiTSKitVersion {
    public static let current = "0.5.0"

    /// Whether `version` (a marker's) is later than this one, or not a version this one can
    /// compare (it came from a build it does not know): either way files may be read wrongly.
    public static func isNewer(_ version: String) -> Bool {
        func parts(_ v: String) -> [Int]? {
            let p = v.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
            return p.contains(nil) || p.isEmpty ? nil : p.map { $0! }
        }
        guard let theirs = parts(version), let ours = parts(current) else { return true }
        let n = max(theirs.count, ours.count)
        let a = theirs + Array(repeating: 0, count: n - theirs.count), b = ours + Array(repeating: 0, count: n - ours.count)
        return b.lexicographicallyPrecedes(a)
    }
}
