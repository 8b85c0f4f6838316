import Foundation
import LiTSCore

/// The `--pred` folder of `lits evaluate`: which file is each case's prediction. A folder that
/// `lits predict` wrote is read through its `predictions.json`: only the files it lists are
/// scored, each must be there, and any other file named like a prediction is refused (it would
/// come from another run). A folder of another tool's predictions (no record) is read by file
/// names in any naming `parse` knows (LiTS, MSD, nnU-Net, MONAI), matched to the truth by case
/// id; a case with more than one candidate file, at any depth, is refused rather than
/// silently picking one.
public struct PredictionFolder: Sendable {
    public static let recordFile = "predictions.json"

    public let path: String
    /// Case id -> the prediction file to score.
    let files: [String: String]
    /// Cases the record lists as failed (no file).
    let failed: Set<String>
    let hasRecord: Bool

    public init(reading path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw LiTSError(.notFound, path: path, "no such folder")
        }
        guard isDir.boolValue else {
            throw LiTSError(.invalidArgument, path: path, "is not a folder (--pred takes the folder of predicted segmentations)")
        }
        self.path = path
        let found = try Self.candidates(in: path)
        let recordPath = "\(path)/\(Self.recordFile)"
        if FileManager.default.fileExists(atPath: recordPath) {
            (files, failed) = try Self.fromRecord(recordPath, folder: path, found: found)
            hasRecord = true
        } else {
            try Self.checkNotUnfinishedRun(path)
            files = try Self.byName(found, folder: path)
            failed = []
            hasRecord = false
        }
    }

    /// The prediction file of case `id`.
    public func prediction(for id: String) throws -> String {
        if let file = files[id] { return file }
        // A truth id in another naming ("liver_003", "volume-3") is the same case as "3".
        if let other = Self.parse("\(id).nii.gz")?.id, let file = files[other] { return file }
        if failed.contains(id) {
            throw LiTSError(.notFound, path: "\(path)/\(Self.recordFile)", "case \(id) failed in the `lits predict` run that wrote this folder; it has no prediction")
        }
        if hasRecord {
            throw LiTSError(.notFound, path: path, "no prediction for case \(id) (\(Self.recordFile) lists none)")
        }
        throw LiTSError(.notFound, path: path, "no prediction for case \(id) (expected segmentation-\(id).nii.gz, liver_\(id).nii.gz or NAME_\(Int(id).map { String(format: "%03d", $0) } ?? id).nii.gz)")
    }

    /// A file name that can hold a case's prediction: its case id, and whether it is a
    /// segmentation name (preferred) or a volume's name (taken only when there is no other).
    /// Every naming a liver-CT tool writes is read: LiTS `segmentation-N` / `test-segmentation-N`,
    /// MSD `liver_N`, nnU-Net `NAME_NNN` (any dataset name; its `NAME_NNN_0000` images are not
    /// predictions), and MONAI's `STEM_seg` / `STEM_trans` of any of these names.
    static func parse(_ name: String) -> (id: String, segmentationName: Bool)? {
        guard let ending = [".nii.gz", ".nii"].first(where: name.hasSuffix) else { return nil }
        var stem = String(name.dropLast(ending.count))
        var monai = false
        for postfix in ["_seg", "_trans"] where stem.hasSuffix(postfix) {
            stem = String(stem.dropLast(postfix.count))
            monai = true
            break
        }
        if stem.hasPrefix("probability-") { return nil }
        for (prefix, preferred) in [("segmentation-", true), ("test-segmentation-", true), ("test-volume-", false), ("volume-", false)] where stem.hasPrefix(prefix) {
            guard let id = number(stem.dropFirst(prefix.count)) else { return nil }
            return (id, preferred || monai)
        }
        guard let (head, id) = numbered(stem) else { return nil }
        // NAME_NNN_0000: an nnU-Net image (channel 0000) of case NAME_NNN; MONAI's
        // prediction of it keeps the name.
        if let (_, inner) = numbered(head), stem.count - head.count == 5 {
            return monai ? (inner, true) : nil
        }
        return (id, true)
    }

    /// "12" or "012" as the id "12"; nil unless all ASCII digits.
    static func number(_ text: Substring) -> String? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text).map(String.init) ?? String(text)
    }

    /// "Liver_003" as ("Liver", "3"); nil unless the stem ends in `_` and digits after a name.
    static func numbered(_ stem: String) -> (head: String, id: String)? {
        guard let us = stem.lastIndex(of: "_"), us > stem.startIndex,
              let id = number(stem[stem.index(after: us)...]) else { return nil }
        return (String(stem[..<us]), id)
    }

    /// The case id of a file name `lits predict` writes, for a record without `cases` (written
    /// before names followed the input): `segmentation-ID.nii.gz`, `test-segmentation-ID.nii`
    /// (the id of a case given as a file may be any file stem).
    static func recordedID(_ name: String) -> String? {
        guard !name.contains("/") else { return nil }
        for prefix in ["segmentation-", "test-segmentation-"] where name.hasPrefix(prefix) {
            for ext in [".nii.gz", ".nii"] where name.hasSuffix(ext) && name.count > prefix.count + ext.count {
                let id = String(name.dropFirst(prefix.count).dropLast(ext.count))
                return Int(id).map(String.init) ?? id
            }
        }
        return nil
    }

    /// Every file under `folder` named like a prediction, as paths relative to it (hidden entries
    /// skipped; links to folders followed, each real folder once).
    static func candidates(in folder: String) throws -> [String] {
        var visited = Set<[UInt64]>(), found: [String] = []
        func walk(_ dir: String, _ prefix: String) throws {
            var st = stat()
            guard stat(dir, &st) == 0, visited.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted else { return }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
                throw LiTSError(.unreadable, path: dir, "cannot list folder")
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                let rel = prefix.isEmpty ? name : "\(prefix)/\(name)"
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: "\(dir)/\(name)", isDirectory: &isDir) else { continue }
                if isDir.boolValue { try walk("\(dir)/\(name)", rel) } else if parse(name) != nil { found.append(rel) }
            }
        }
        try walk(folder, "")
        return found
    }

    /// Cases by file name: segmentation names first, a volume's name only where a case has none.
    static func byName(_ found: [String], folder: String) throws -> [String: String] {
        var preferred: [String: [String]] = [:], fallback: [String: [String]] = [:]
        for rel in found {
            let (id, isSegmentation) = parse(String(rel.split(separator: "/").last!))!
            if isSegmentation { preferred[id, default: []].append(rel) } else { fallback[id, default: []].append(rel) }
        }
        var files: [String: String] = [:]
        for id in Set(preferred.keys).union(fallback.keys).sorted() {
            let choices = preferred[id] ?? fallback[id]!
            guard choices.count == 1 else {
                throw LiTSError(.invalidArgument, path: folder, "case \(id) has \(choices.count) candidate predictions (\(choices.joined(separator: ", "))); keep one, or point --pred at the folder that holds the one to score")
            }
            files[id] = "\(folder)/\(choices[0])"
        }
        return files
    }

    /// `predictions.json`: the files it lists (all present, one per case) and nothing else
    /// named like a prediction.
    static func fromRecord(_ recordPath: String, folder: String, found: [String]) throws -> ([String: String], Set<String>) {
        let record = try JSONFile.read([String: [String]].self, from: recordPath)
        guard let listed = record["files"] else { throw LiTSError(.corrupt, path: recordPath, "missing key 'files'") }
        // `cases`, in the order of `files`, says each file's case (a name in the input's own naming
        // need not say it); a record without it names files as LiTS did.
        let cases = record["cases"]
        if let cases, cases.count != listed.count {
            throw LiTSError(.corrupt, path: recordPath, "lists \(listed.count) files but \(cases.count) cases")
        }
        var files: [String: String] = [:]
        for (n, name) in listed.enumerated() {
            guard !name.contains("/"), let id = cases.map({ $0[n] }) ?? recordedID(name) else {
                throw LiTSError(.corrupt, path: recordPath, "lists '\(name)', which is not a prediction file name")
            }
            guard files[id] == nil else { throw LiTSError(.corrupt, path: recordPath, "lists two predictions for case \(id)") }
            let file = "\(folder)/\(name)"
            guard FileManager.default.fileExists(atPath: file) else {
                throw LiTSError(.notFound, path: file, "is listed in \(recordFile) but missing; rerun `lits predict` into this folder")
            }
            files[id] = file
        }
        if let stray = found.first(where: { !listed.contains($0) }) {
            throw LiTSError(.mismatch, path: "\(folder)/\(stray)", "is not listed in \(recordFile) (not from the run that wrote this folder); remove it or rerun `lits predict`")
        }
        return (files, Set(record["failed"] ?? []))
    }

    /// A folder `lits predict` claimed whose record is missing: that run did not finish, and
    /// whatever it left is not one run's predictions.
    static func checkNotUnfinishedRun(_ folder: String) throws {
        guard let data = FileManager.default.contents(atPath: "\(folder)/\(OutputFolder.markerFile)"),
              let marker = try? JSONDecoder().decode(OutputFolder.Marker.self, from: data),
              marker.command.hasPrefix("lits predict") else { return }
        throw LiTSError(.notFound, path: folder, "has no \(recordFile): the `lits predict` run that wrote it did not finish; rerun it")
    }
}
