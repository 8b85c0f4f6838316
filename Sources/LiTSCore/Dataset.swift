import Foundation

/// One case: a CT volume and, for training data, its segmentation.
public struct Case: Sendable, Equatable {
    public enum Layout: String, Sendable {
        case lits = "LiTS", msd = "MSD", nnunet = "nnU-Net", datalist = "datalist", caseFolder = "case folder", file = "file"
    }
    /// The case number as a string ("117"), nnU-Net's case identifier ("liver_003"), the case
    /// folder's name, or the file stem for single files; qualified by its input folder's name
    /// ("train-117") where two inputs hold the same id.
    public var id: String
    public var volumePath: String
    /// The label map (or a case folder's liver mask).
    public var segmentationPath: String?
    public var layout: Layout
    /// Binary tumour masks whose voxels become label 2 (a TotalSegmentator `segmentations/` folder).
    public var tumorMaskPaths: [String]
    /// How the label map's values become 0/1/2 (the dataset's description or `--labels`);
    /// nil: they must already be 0/1/2.
    public var labelMapping: LabelMapping?

    public init(id: String, volumePath: String, segmentationPath: String?, layout: Layout,
                tumorMaskPaths: [String] = [], labelMapping: LabelMapping? = nil) {
        self.id = id
        self.volumePath = volumePath
        self.segmentationPath = segmentationPath
        self.layout = layout
        self.tumorMaskPaths = tumorMaskPaths
        self.labelMapping = labelMapping
    }

    /// Numeric order where ids are numbers.
    static func precedes(_ a: Case, _ b: Case) -> Bool {
        switch (Int(a.id), Int(b.id)) {
        case let (x?, y?): return x < y
        default: return a.id < b.id
        }
    }
}

/// A file or folder that dataset discovery did not take as a case although it looks like one
/// (a dangling link, a folder named `volume-1.nii`, an MSD image without its label), and why.
/// Each is also a warning line; reports list them.
public struct SkippedFile: Sendable, Equatable, Codable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// What discovery found: the cases, and what it left out (or took without labels) and why.
public struct Discovery: Sendable {
    public var cases: [Case]
    public var skipped: [SkippedFile]
}


/// Finds cases in every layout a liver-CT dataset comes in, through one function (`scan`) that
/// every command uses: LiTS names in any nested folders (`volume-N` + `segmentation-N`; the
/// test batch's `test-volume-N` without labels), the Decathlon's Task03 (`imagesTr/liver_N` +
/// `labelsTr/liver_N`), case folders (`CASE/ct.nii.gz` with its labels, `CaseFolderLayout`),
/// an nnU-Net v2 raw dataset (`NNUNetLayout`), a MONAI datalist JSON file (`DatalistLayout`)
/// or a single NIfTI file. Each layout fills a `CaseTable`, which pairs images with labels and
/// refuses duplicates and orphans the same way for all. Label values are mapped to 0/1/2 on load
/// by the dataset's `dataset.json` or `--labels` (`CommandLineLabels`).
public enum Dataset {
    /// One case from a path: a volume file, or a dataset folder with `id` (required when the
    /// folder holds more than one case).
    public static func selectCase(_ path: String, id: String?) throws -> Case {
        let cases = try discover(path)
        if let id {
            guard let c = cases.first(where: { $0.id == id }) else {
                throw LiTSError(.notFound, path: path, "no case \(id) (cases: \(cases.prefix(10).map(\.id).joined(separator: ", "))\(cases.count > 10 ? ", ..." : ""))")
            }
            return c
        }
        guard cases.count == 1 else {
            throw LiTSError(.invalidArgument, path: path, "holds \(cases.count) cases; choose one with --case ID")
        }
        return cases[0]
    }

    /// The cases under `root`, with a warning line for each file it skipped.
    public static func discover(_ root: String) throws -> [Case] {
        try discover([root])
    }

    /// Cases from several paths (folders or files), in order; a warning line ("PATH: reason")
    /// for each file skipped. An id that two inputs share is qualified (`qualify`).
    public static func discover(_ paths: [String]) throws -> [Case] {
        try scan(paths, warn: true).cases
    }

    /// `discover` with what was skipped (each also a warning line), for reports to list.
    public static func discoverListingSkipped(_ paths: [String]) throws -> Discovery {
        try scan(paths, warn: true)
    }

    /// `discover` without the warnings: the cases and what was skipped, for reports to list.
    public static func scan(_ paths: [String]) throws -> Discovery {
        try scan(paths, warn: false)
    }

    static func scan(_ paths: [String], warn: Bool) throws -> Discovery {
        var all: [Case] = []
        var skipped: [SkippedFile] = []
        var ids = Set<String>()
        var files: [String: String] = [:]  // case id by the volume's real path
        for p in paths {
            let found = try scan(p, warn: warn)
            skipped += found.skipped
            for var c in found.cases {
                // The same file through two inputs (a folder and a file in it) is one case given twice.
                if let other = files.updateValue(c.id, forKey: realPath(c.volumePath)) {
                    throw LiTSError(.invalidArgument, path: c.volumePath, "is also given as case \(other); give each file once")
                }
                c.id = qualify(c.id, input: p, taken: ids)
                ids.insert(c.id)
                all.append(c)
            }
        }
        return Discovery(cases: all, skipped: skipped)
    }

    static func realPath(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// The one rule for ids across inputs: the same id in two inputs (a training and a test
    /// folder, two releases) is kept apart by naming the later one `FOLDER-ID` after its input's
    /// last path component (`FOLDER-ID-2`, ... should that be taken too).
    static func qualify(_ id: String, input: String, taken: Set<String>) -> String {
        guard taken.contains(id) else { return id }
        let folder = URL(fileURLWithPath: input).standardizedFileURL.lastPathComponent
            .map { $0.isLetter || $0.isNumber || "._-".contains($0) ? String($0) : "_" }.joined()
        var qualified = "\(folder)-\(id)", n = 2
        while taken.contains(qualified) { qualified = "\(folder)-\(id)-\(n)"; n += 1 }
        return qualified
    }

    /// The cases under one input and what was skipped; with `warn` a warning line for each
    /// skipped file, sent before any error (a folder of dangling links says so before "no cases").
    static func scan(_ root: String, warn: Bool) throws -> Discovery {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
            throw LiTSError(.notFound, path: root, "no such file or folder")
        }
        var table: CaseTable
        if !isDir.boolValue {
            guard root.hasSuffix(".json") else { return Discovery(cases: [try caseForFile(root)], skipped: []) }
            table = try DatalistLayout.scan(root)
        } else if let description = try DatasetDescription.read(folder: root), description.isNNUNet {
            table = try NNUNetLayout.scan(root, description: description)
        } else {
            table = try NamedFilesLayout.scan(root)
        }
        let skipped = table.allSkipped()
        if warn { for s in skipped { LiTSWarnings.emit("\(s.path): \(s.reason)") } }
        return Discovery(cases: try table.cases(), skipped: skipped)
    }

    /// A single NIfTI file given directly: a LiTS volume picks up its segmentation beside it.
    static func caseForFile(_ path: String) throws -> Case {
        let name = String(path.split(separator: "/").last ?? "")
        guard name.hasSuffix(".nii") || name.hasSuffix(".nii.gz") else {
            throw LiTSError(.unsupported, path: path, "not a NIfTI file (expected .nii or .nii.gz)")
        }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        if let n = number(in: name, prefix: "volume-") {
            let seg = ["nii", "nii.gz"].map { "\(dir)/segmentation-\(n).\($0)" }
                .first { FileManager.default.fileExists(atPath: $0) }
            return Case(id: n, volumePath: path, segmentationPath: seg, layout: .lits, labelMapping: CommandLineLabels.truth)
        }
        if let n = number(in: name, prefix: "test-volume-") {
            return Case(id: n, volumePath: path, segmentationPath: nil, layout: .lits)
        }
        return Case(id: niftiStem(name), volumePath: path, segmentationPath: nil, layout: .file)
    }

    /// The case id an image file's name gives: LiTS' and the Decathlon's number, nnU-Net's case
    /// identifier (the name without its `_0000` channel), or the name without `.nii[.gz]`.
    public static func caseID(fromFileName name: String) -> String {
        for prefix in ["volume-", "test-volume-", "liver_"] {
            if let n = number(in: name, prefix: prefix) { return n }
        }
        let stem = niftiStem(name)
        return stem.hasSuffix("_0000") ? String(stem.dropLast(5)) : stem
    }

    /// "ct.nii.gz" gives "ct".
    static func niftiStem(_ name: String) -> String {
        if name.hasSuffix(".nii.gz") { return String(name.dropLast(7)) }
        if name.hasSuffix(".nii") { return String(name.dropLast(4)) }
        return name
    }

    /// Whether discovery would take a file of this name for a case's volume or segmentation.
    public static func isCaseFileName(_ name: String) -> Bool {
        ["volume-", "test-volume-", "segmentation-", "liver_"].contains { number(in: name, prefix: $0) != nil }
    }

    /// "volume-12.nii.gz" with prefix "volume-" gives "12".
    static func number(in name: String, prefix: String) -> String? {
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isNumber }
        guard !digits.isEmpty else { return nil }
        let ext = rest.dropFirst(digits.count)
        guard ext == ".nii" || ext == ".nii.gz" else { return nil }
        return String(Int(digits).map(String.init) ?? String(digits))
    }
}
