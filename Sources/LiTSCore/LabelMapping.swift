import Foundation

/// How a dataset's label values become lits' classes 0 (background), 1 (liver), 2 (tumour):
/// from the dataset's own description (nnU-Net's or the Decathlon's `dataset.json` `labels`) or
/// from `--labels liver=5,tumor=6`. Applied where labels are read (`CaseLoader.readLabels`), so
/// every command sees 0/1/2. A value with no class is refused, never guessed.
public struct LabelMapping: Sendable, Equatable, CustomStringConvertible {
    /// Class of each value (0, 1 or 2).
    public var classes: [Int: UInt8]
    /// The class of every value not named (`background=rest`), or nil: such values are refused.
    public var rest: UInt8?

    public init(classes: [Int: UInt8], rest: UInt8? = nil) {
        self.classes = classes
        self.rest = rest
    }

    /// LiTS' own values.
    public static let identity = LabelMapping(classes: [0: 0, 1: 1, 2: 2])

    /// The class a label name stands for: background, liver, or the tumour under any of its
    /// usual names (tumor, tumour, lesion, cancer as the Decathlon's Task03 calls it).
    public static func classOf(name: String) -> UInt8? {
        switch name.lowercased().trimmingCharacters(in: .whitespaces) {
        case "background": return 0
        case "liver": return 1
        case "tumor", "tumour", "lesion", "cancer", "liver_tumor", "liver_tumour", "liver tumor", "liver tumour": return 2
        default: return nil
        }
    }

    public static let classNames = ["background", "liver", "tumor"]

    /// `liver=5,tumor=6+7,background=rest`: each class name with its values (`+` between
    /// several); `rest` (background only) takes every value not named. 0 is background unless named.
    public init(parsing text: String) throws {
        var classes: [Int: UInt8] = [:]
        var rest: UInt8?
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, let cls = Self.classOf(name: parts[0]), !parts[1].isEmpty else {
                throw LiTSError(.invalidArgument, path: nil, "label mapping '\(item)': expected CLASS=VALUE with CLASS liver, tumor or background (e.g. liver=5,tumor=6)")
            }
            for v in parts[1].split(separator: "+", omittingEmptySubsequences: false) {
                if v == "rest" && cls == 0 { rest = 0; continue }
                guard let value = Int(v), value >= 0 else {
                    throw LiTSError(.invalidArgument, path: nil, "label mapping '\(item)': '\(v)' is not a label value (a whole number >= 0\(cls == 0 ? ", or rest" : ""))")
                }
                if let other = classes[value], other != cls {
                    throw LiTSError(.invalidArgument, path: nil, "label mapping '\(text)': value \(value) is given to both \(Self.classNames[Int(other)]) and \(Self.classNames[Int(cls)])")
                }
                classes[value] = cls
            }
        }
        if classes[0] == nil { classes[0] = 0 }
        self.init(classes: classes, rest: rest)
    }

    /// From a dataset's description, name to value(s) (nnU-Net `{"liver": 1}`; the Decathlon's
    /// `{"1": "liver"}` is turned round by the caller). Names that are no class (vessels, other
    /// organs) get no mapping, so their voxels are refused when they occur.
    public init(describing names: [(name: String, value: Int)]) {
        var classes: [Int: UInt8] = [:]
        for (name, value) in names { if let c = Self.classOf(name: name) { classes[value] = c } }
        if classes[0] == nil { classes[0] = 0 }
        self.init(classes: classes)
    }

    public var description: String {
        (classes.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.classNames[Int($0.value)])" }
         + (rest.map { ["rest=\(Self.classNames[Int($0)])"] } ?? [])).joined(separator: ", ")
    }

    /// The label map of `v`'s values, refusing (one line naming `path`, the values and their
    /// voxel counts) any value with no class.
    public func apply(_ v: Volume<Float>, path: String) throws -> LabelMap {
        // A table for the usual small values; a dictionary lookup only beyond it.
        var table = [Int16](repeating: -1, count: 256)
        for (value, cls) in classes where value < 256 { table[value] = Int16(cls) }
        var out = [UInt8](repeating: 0, count: v.count)
        var unmapped: [String: Int] = [:]
        for n in 0..<v.count {
            let x = v.voxels[n]
            if x >= 0, x <= 255, x == x.rounded(.down), table[Int(x)] >= 0 {
                out[n] = UInt8(table[Int(x)])
            } else if x.isFinite, x == x.rounded(.down), abs(x) < 1e15, let cls = classes[Int(x)] {
                out[n] = cls
            } else if x.isFinite, let rest {
                out[n] = rest
            } else {
                let key = x.isFinite && x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : (x.isNaN ? "nan" : String(x))
                unmapped[key, default: 0] += 1
            }
        }
        if !unmapped.isEmpty {
            let shown = unmapped.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(4)
                .map { "\($0.key) (\($0.value) voxels)" }
            throw LiTSError(.invalidValues, path: path, "label values with no mapping: \(shown.joined(separator: ", ")) (mapping \(self); map them with --labels, e.g. --labels liver=5,background=rest)")
        }
        return Volume(grid: v.grid, voxels: out)
    }
}

/// The label mappings given on the command line (`--labels`, and `evaluate`'s `--truth-labels`
/// and `--pred-labels`), set once by the command before any case is read; they override the
/// dataset's own description.
public enum CommandLineLabels {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var truthMapping: LabelMapping?
    nonisolated(unsafe) private static var predictionMapping: LabelMapping?

    /// The mapping of the dataset's labels (ground truth), or nil.
    public static var truth: LabelMapping? {
        get { lock.withLock { truthMapping } }
        set { lock.withLock { truthMapping = newValue } }
    }

    /// The mapping of prediction files (`evaluate --pred-labels`), or nil for 0/1/2.
    public static var predictions: LabelMapping? {
        get { lock.withLock { predictionMapping } }
        set { lock.withLock { predictionMapping = newValue } }
    }
}
