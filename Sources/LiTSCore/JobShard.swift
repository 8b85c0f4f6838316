import Foundation

/// Part `index` of `count` (1-based) of a dataset's cases: every `count`-th case, starting at the
/// `index`-th. The cases of one split never overlap and together are the whole dataset, so the
/// parts of a job array can be merged into what one run gives.
public struct JobShard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        (self.index, self.count) = (index, count)
    }

    /// "i/n" with 1 <= i <= n.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1] else { return nil }
        self.init(index: i, count: n)
    }

    public var text: String { "\(index)/\(count)" }

    public func select<T>(_ all: [T]) -> [T] {
        all.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }

    /// Where the `k`-th item of this shard (0-based) stands in the whole list: `select` inverted.
    public func position(ofItem k: Int) -> Int { k * count + index - 1 }

    /// How many of `total` items `select` keeps.
    public func selectedCount(of total: Int) -> Int {
        total >= index ? (total - index) / count + 1 : 0
    }
}

/// What `--shard` asks for: a part, or `none`, the whole dataset even inside a job array (a
/// task that processes its own dataset).
public enum ShardChoice: Sendable, Equatable {
    case part(JobShard)
    case whole

    public init?(parsing text: String) {
        if text == "none" { self = .whole; return }
        guard let part = JobShard(parsing: text) else { return nil }
        self = .part(part)
    }

    /// The shard to compute: an explicit `--shard` wins; without one, a Slurm array task's
    /// (`SlurmArray.shard`); nil for the whole dataset.
    public static func resolve(_ explicit: ShardChoice?, environment: [String: String]) throws -> JobShard? {
        switch explicit {
        case .part(let part): return part
        case .whole: return nil
        case nil: return try SlurmArray.shard(in: environment)
        }
    }
}
