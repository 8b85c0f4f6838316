import Foundation

/// One case: a CT volume and, for training data, its segmentation.
public struct Case: Sendable, Equatable {
    public enum Layout: String, Sendable { case lits = "LiTS", msd = "MSD", file = "file" }
    /// The case number as a string ("117"), or the file stem for single files.
    public var id: String
    public var volumePath: String
    public var segmentationPath: String?
    public var layout: Layout

    public init(id: String, volumePath: String, segmentationPath: String?, layout: Layout) {
        self.id = id
        self.volumePath = volumePath
        self.segmentationPath = segmentationPath
        self.layout = layout
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

/// Finds cases in a folder, in LiTS layout (`volume-N.nii[.gz]` + `segmentation-N.nii[.gz]`, in any
/// nested folders, as the common Kaggle copy spreads them; the LiTS test batch's
/// `test-volume-N.nii` are cases N without labels) or MSD Task03 layout
/// (`imagesTr/liver_N.nii.gz` + `labelsTr/liver_N.nii.gz`; `imagesTs` has no labels).
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

    /// The cases under `root` and what was skipped; with `warn` a warning line for each skipped
    /// file, sent before any error (a folder of dangling links says so before "no cases").
    static func scan(_ root: String, warn: Bool) throws -> Discovery {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
            throw LiTSError(.notFound, path: root, "no such file or folder")
        }
        guard isDir.boolValue else {
            return Discovery(cases: [try caseForFile(root)], skipped: [])
        }
        var volumes: [String: String] = [:]
        var segmentations: [String: String] = [:]
        var msdImages: [String: String] = [:]
        var msdLabels: [String: String] = [:]
        var skipped: [SkippedFile] = []

        for rel in try relativeFiles(under: root, skipped: &skipped) {
            // Plain string splitting: NSString's path helpers trap on some inputs on Linux.
            let parts = rel.split(separator: "/").map(String.init)
            guard let name = parts.last else { continue }
            if name.hasPrefix(".") { continue }  // hidden files, macOS "._" resource forks, our temp files
            let path = root.hasSuffix("/") ? root + rel : root + "/" + rel
            let parent = parts.count > 1 ? parts[parts.count - 2] : ""
            if let n = number(in: name, prefix: "volume-") ?? number(in: name, prefix: "test-volume-") {
                try insert(n, path, into: &volumes, root: root)
            }
            else if let n = number(in: name, prefix: "segmentation-") { try insert(n, path, into: &segmentations, root: root) }
            else if let n = number(in: name, prefix: "liver_") {
                if parent == "imagesTr" || parent == "imagesTs" { try insert(n, path, into: &msdImages, root: root) }
                else if parent == "labelsTr" { try insert(n, path, into: &msdLabels, root: root) }
                else { skipped.append(SkippedFile(path: path, reason: "named like an MSD case but not in imagesTr/, imagesTs/ or labelsTr/; not read")) }
            }
        }
        var cases: [Case] = volumes.map { Case(id: $0.key, volumePath: $0.value, segmentationPath: segmentations[$0.key], layout: .lits) }
        cases += msdImages.map { Case(id: $0.key, volumePath: $0.value, segmentationPath: msdLabels[$0.key], layout: .msd) }
        // An imagesTr image is a training image: without its label it is left out of training
        // and evaluation, which the user must hear about.
        for (id, path) in msdImages where msdLabels[id] == nil && path.split(separator: "/").dropLast().last == "imagesTr" {
            skipped.append(SkippedFile(path: path, reason: "MSD training image without its label labelsTr/\(path.split(separator: "/").last ?? ""); read as a case without labels"))
        }
        skipped.sort { $0.path < $1.path }
        if warn { for s in skipped { LiTSWarnings.emit("\(s.path): \(s.reason)") } }
        let orphanSegmentations = Set(segmentations.keys).subtracting(volumes.keys).union(Set(msdLabels.keys).subtracting(msdImages.keys))
        if let id = orphanSegmentations.sorted().first {
            throw LiTSError(.invalidArgument, path: segmentations[id] ?? msdLabels[id],
                            "segmentation without a volume (expected a volume for case \(id))")
        }
        let ids = cases.map(\.id)
        if let dup = ids.first(where: { id in ids.filter { $0 == id }.count > 1 }) {
            throw LiTSError(.invalidArgument, path: root, "case \(dup) appears in both LiTS and MSD layout")
        }
        guard !cases.isEmpty else {
            throw LiTSError(.noCases, path: root, "no cases found (expected volume-N.nii[.gz] + segmentation-N.nii[.gz], test-volume-N.nii, or imagesTr/liver_N.nii.gz + labelsTr/liver_N.nii.gz)")
        }
        return Discovery(cases: cases.sorted(by: Case.precedes), skipped: skipped)
    }

    /// Every file below `root`, as paths relative to it, following symbolic links to folders
    /// (a dataset is often a folder of links) but entering each real folder once, so a link
    /// loop ends. Hidden entries are left out; dangling links and folders named like case files
    /// are added to `skipped`.
    static func relativeFiles(under root: String, skipped: inout [SkippedFile]) throws -> [String] {
        var visited = Set<[UInt64]>()
        var files: [String] = []
        func identity(_ path: String) -> [UInt64]? {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            return [UInt64(st.st_dev), UInt64(st.st_ino)]
        }
        func walk(_ dir: String, _ prefix: String) throws {
            guard let id = identity(dir), visited.insert(id).inserted else { return }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
                throw LiTSError(.unreadable, path: dir, "cannot list folder")
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                let rel = prefix.isEmpty ? name : prefix + "/" + name
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                    skipped.append(SkippedFile(path: path, reason: "symbolic link to something that does not exist; not read"))
                    continue
                }
                if isDir.boolValue {
                    if isCaseFileName(name) {
                        skipped.append(SkippedFile(path: path, reason: "a folder named like a case file; not read as a case"))
                    }
                    try walk(path, rel)
                } else {
                    files.append(rel)
                }
            }
        }
        try walk(root, "")
        return files
    }

    private static func insert(_ id: String, _ path: String, into map: inout [String: String], root: String) throws {
        if let other = map[id] {
            throw LiTSError(.invalidArgument, path: root, "case \(id) appears twice: \(other) and \(path)")
        }
        map[id] = path
    }

    /// Cases from several paths (folders or files), in order, with no id given twice; a
    /// warning line ("PATH: reason") for each file skipped.
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
        for p in paths {
            let found = try scan(p, warn: warn)
            skipped += found.skipped
            for c in found.cases {
                if let other = all.first(where: { $0.id == c.id }) {
                    throw LiTSError(.invalidArgument, path: c.volumePath, "case \(c.id) is also given as \(other.volumePath); case ids must be unique")
                }
                all.append(c)
            }
        }
        return Discovery(cases: all, skipped: skipped)
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
            return Case(id: n, volumePath: path, segmentationPath: seg, layout: .lits)
        }
        if let n = number(in: name, prefix: "test-volume-") {
            return Case(id: n, volumePath: path, segmentationPath: nil, layout: .lits)
        }
        let stem = name.hasSuffix(".nii.gz") ? String(name.dropLast(7)) : String(name.dropLast(4))
        return Case(id: stem, volumePath: path, segmentationPath: nil, layout: .file)
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
