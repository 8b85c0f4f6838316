import Foundation
import LiTSCore

/// `lits export nnunet DATA --out nnUNet_raw/DatasetNNN_Name`: a dataset in any layout LiTSKit
/// reads, handed on to nnU-Net v2 as its raw layout (`imagesTr/{Name}_{id:03d}_0000.nii.gz`,
/// `labelsTr/{Name}_{id:03d}.nii.gz`, `imagesTs/` for cases without labels, `dataset.json`).
/// Files whose bytes can stay are hard-linked (copied across file systems); a `.nii` is gzipped
/// as it is; only a label map whose values must be mapped to 0/1/2 is written anew, on its own
/// grid. `litskit-export.json` says which case came from which file, and which were left out
/// and why. Every case is checked as every command reads it (grid, labels), so nnU-Net gets no
/// case LiTSKit would refuse; a failure leaves no export.
public enum NNUNetExport {
    public static let command = "lits export nnunet"
    public static let recordFile = "litskit-export.json"
    public static let datasetFile = "dataset.json"
    /// The folders and files an export writes (a rerun removes the previous ones first).
    static let folders = ["imagesTr", "labelsTr", "imagesTs"]

    public struct Options: Sendable {
        /// Case ids to leave out (`--exclude`).
        public var exclude: [String] = []
        /// Leave out cases with a QA error (`--exclude-qa-errors`).
        public var excludeQAErrors = false
        public var threads = 1
        public init() {}
    }

    /// One exported file: where it is in the export, where it came from and how.
    public struct File: Codable, Equatable, Sendable {
        public var path: String
        public var source: String
        /// linked, copied, compressed (`.nii` gzipped), or remapped (label values mapped to 0/1/2).
        public var how: String
    }

    public struct ExportedCase: Codable, Equatable, Sendable {
        public var id: String
        /// nnU-Net's case identifier (`Liver_003`).
        public var identifier: String
        public var image: File
        public var label: File?
    }

    public struct LeftOut: Codable, Equatable, Sendable {
        public var id: String
        public var volume: String
        public var segmentation: String?
        public var reason: String
    }

    /// `litskit-export.json`.
    public struct Record: Codable, Sendable {
        public var tool = "LiTSKit"
        public var version = LiTSKitVersion.current
        public var inputs: [String]
        public var dataset: String
        public var cases: [ExportedCase]
        public var leftOut: [LeftOut]
    }

    /// `dataset.json` as nnU-Net v2 reads it.
    struct DatasetJSON: Encodable {
        var channel_names = ["0": "CT"]
        var labels = ["background": 0, "liver": 1, "tumor": 2]
        var numTraining: Int
        var file_ending = ".nii.gz"
        var name: String
        var description: String
    }

    /// The `{Name}` of an output folder named `DatasetNNN_Name` (nnU-Net finds datasets by
    /// that name and refuses any other).
    public static func datasetName(_ out: String) throws -> String {
        let folder = URL(fileURLWithPath: out).standardizedFileURL.lastPathComponent
        let digits = folder.dropFirst("Dataset".count).prefix { $0.isASCII && $0.isNumber }
        let rest = folder.dropFirst("Dataset".count + digits.count)
        guard folder.hasPrefix("Dataset"), digits.count == 3, rest.hasPrefix("_"), rest.count > 1,
              rest.dropFirst().allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw LiTSError(.invalidArgument, path: out, "nnU-Net needs the dataset folder named DatasetNNN_Name (three digits, e.g. Dataset003_Liver)")
        }
        return String(rest.dropFirst())
    }

    /// nnU-Net's identifier of case `id`: `{name}_{id:03d}` (the number of an nnU-Net or MSD id
    /// such as `liver_003` too), or `{name}_{id}` for an id that is no number.
    public static func identifier(_ id: String, name: String) -> String {
        let tail = id.split(separator: "_").last.map(String.init) ?? id
        if let n = Int(id) ?? (tail.allSatisfy(\.isNumber) ? Int(tail) : nil) { return "\(name)_\(String(format: "%03d", n))" }
        return "\(name)_" + id.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? String($0) : "-" }.joined()
    }

    /// Exports the cases of `inputs` into `out`. Returns the record written.
    public static func run(_ inputs: [String], out: String, options: Options) throws -> Record {
        let name = try datasetName(out)
        let cases = try Dataset.discover(inputs)
        let unknown = options.exclude.filter { id in !cases.contains { $0.id == id } }
        if let id = unknown.first {
            throw LiTSError(.notFound, path: inputs.joined(separator: ", "), "--exclude names case \(id), which is not in the data")
        }
        var reasons: [String: String] = [:]
        for id in options.exclude { reasons[id] = "--exclude" }
        if options.excludeQAErrors {
            for (id, reason) in try qaErrors(inputs, threads: options.threads) where reasons[id] == nil { reasons[id] = reason }
        }
        let kept = cases.filter { reasons[$0.id] == nil }
        try refuseSharedIdentifiers(kept, name: name, out: out)
        try OutputFolder.prepare(out, inputs: inputs, command: command)
        try clearPrevious(out)
        var exported: [ExportedCase] = []
        do {
            for folder in folders { try makeFolder("\(out)/\(folder)") }
            for c in kept { exported.append(try export(c, identifier: identifier(c.id, name: name), into: out)) }
            for folder in folders where isEmptyFolder("\(out)/\(folder)") && folder == "imagesTs" { rmdir("\(out)/\(folder)") }
            let leftOut = cases.filter { reasons[$0.id] != nil }.map {
                LeftOut(id: $0.id, volume: $0.volumePath, segmentation: $0.segmentationPath, reason: reasons[$0.id]!)
            }
            let record = Record(inputs: inputs, dataset: URL(fileURLWithPath: out).standardizedFileURL.lastPathComponent,
                                cases: exported, leftOut: leftOut)
            let training = exported.filter { $0.label != nil }.count
            guard training > 0 else {
                throw LiTSError(.noCases, path: inputs.joined(separator: ", "), "no case with labels left to export; nnU-Net trains on labelled cases only")
            }
            try JSONFile.write(DatasetJSON(numTraining: training, name: name,
                                           description: "Exported by LiTSKit \(LiTSKitVersion.current) (lits export nnunet) from \(inputs.joined(separator: ", "))"),
                               to: "\(out)/\(datasetFile)")
            try JSONFile.write(record, to: "\(out)/\(recordFile)")
            return record
        } catch {
            try? clearPrevious(out)   // no partial export
            OutputFolder.removeIfUnused(out)
            throw error
        }
    }

    /// The cases `lits qa` finds an error in, with the first error as the reason.
    static func qaErrors(_ inputs: [String], threads: Int) throws -> [String: String] {
        let result = try QARun.run(inputs, out: nil, threads: threads)
        var reasons: [String: String] = [:]
        for f in result.summary.findings where f.severity == .error && reasons[f.caseID] == nil {
            reasons[f.caseID] = "QA error: \(f.check): \(f.measured) (expected \(f.expected))"
        }
        return reasons
    }

    /// One case: the image (and its label map) checked as every command reads them, then placed.
    static func export(_ c: Case, identifier: String, into out: String) throws -> ExportedCase {
        // Reading the case checks what nnU-Net would trip over later: a label map on another
        // grid, values with no mapping to 0/1/2, NaN HU.
        let loaded = try CaseLoader.load(c, withLabels: true)
        let folder = c.segmentationPath == nil ? "imagesTs" : "imagesTr"
        let image = "\(folder)/\(identifier)_0000.nii.gz"
        let imageHow = try placeBytes(c.volumePath, at: "\(out)/\(image)")
        var label: File?
        if let seg = c.segmentationPath, let labels = loaded.labels {
            let path = "labelsTr/\(identifier).nii.gz"
            label = File(path: path, source: seg, how: try placeLabels(seg, labels: labels, loaded: loaded, at: "\(out)/\(path)"))
        }
        return ExportedCase(id: c.id, identifier: identifier, image: File(path: image, source: c.volumePath, how: imageHow), label: label)
    }

    /// The file's bytes at `path`: linked or copied when it is gzipped already, else gzipped.
    static func placeBytes(_ source: String, at path: String) throws -> String {
        if source.hasSuffix(".nii.gz") { return try FileTransfer.place(source, at: path).rawValue }
        try FileTransfer.gzip(source, to: path)
        return FileTransfer.compressed.rawValue
    }

    /// The label map: its bytes where the values read are the values stored (no mapping), else
    /// the mapped 0/1/2 labels written on the file's own grid and voxel order.
    static func placeLabels(_ source: String, labels: LabelMap, loaded: LoadedCase, at path: String) throws -> String {
        let (stored, sourceInfo) = try NIfTIReader.readFloat(path: source)
        let mapped = loaded.reorientation.toSource(labels, sourceGrid: stored.grid)
        let same = zip(stored.voxels, mapped.voxels).allSatisfy { $0 == Float($1) }
        if same { return try placeBytes(source, at: path) }
        try NIfTIWriter.write(mapped, to: path, sformCode: Int32(max(1, sourceInfo.sformCode)), description: "LiTSKit export")
        return "remapped"
    }

    /// Two cases would get one nnU-Net identifier (ids `3` and `003` of two layouts, or ids that
    /// differ only in characters nnU-Net names cannot hold).
    static func refuseSharedIdentifiers(_ cases: [Case], name: String, out: String) throws {
        var seen: [String: Case] = [:]
        for c in cases {
            let id = identifier(c.id, name: name)
            if let other = seen[id] {
                throw LiTSError(.invalidArgument, path: c.volumePath, "would be exported as \(id), as case \(other.id) (\(other.volumePath)) is; leave one out with --exclude")
            }
            seen[id] = c
        }
    }

    /// A rerun replaces the previous export as a whole: its record and dataset.json first, then
    /// every file in its image and label folders (links only: the user's files stay).
    static func clearPrevious(_ out: String) throws {
        for file in [recordFile, datasetFile] {
            guard unlink("\(out)/\(file)") == 0 || errno == ENOENT else {
                throw LiTSError.writeFailed("\(out)/\(file)", "cannot remove the previous export's file", errno: errno)
            }
        }
        for folder in folders {
            let dir = "\(out)/\(folder)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                guard unlink("\(dir)/\(name)") == 0 || errno == ENOENT else {
                    throw LiTSError.writeFailed("\(dir)/\(name)", "cannot remove the previous export's file", errno: errno)
                }
            }
            rmdir(dir)
        }
    }

    static func makeFolder(_ dir: String) throws {
        guard mkdir(dir, 0o777) == 0 || errno == EEXIST else {
            throw LiTSError.writeFailed(dir, "cannot create folder", errno: errno)
        }
    }

    static func isEmptyFolder(_ dir: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).isEmpty
    }
}
