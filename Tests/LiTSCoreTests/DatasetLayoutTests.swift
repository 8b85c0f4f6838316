import XCTest
@testable import LiTSCore

/// The same phantom cases written in every layout lits reads give the same cases, voxels and
/// labels; what is ambiguous or unmapped is refused with one line naming the file.
final class DatasetLayoutTests: XCTestCase {
    /// Two phantom cases (ids 3 and 7) of different shapes, as (ct, labels 0/1/2).
    let phantoms: [(Int, Volume<Float>, LabelMap)] = [
        { let (c, l) = phantom(); return (3, c, l) }(),
        { let (c, l) = phantom(shape: [20, 22, 12]); return (7, c, l) }(),
    ]

    override func tearDown() {
        CommandLineLabels.truth = nil
        CommandLineLabels.predictions = nil
    }

    func write(_ v: Volume<Float>, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: String(path[..<path.lastIndex(of: "/")!]), withIntermediateDirectories: true)
        try NIfTIWriter.write(v.map { Int16($0) }, to: path)
    }

    func write(_ l: LabelMap, _ path: String, values: (UInt8) -> UInt8 = { $0 }) throws {
        try FileManager.default.createDirectory(atPath: String(path[..<path.lastIndex(of: "/")!]), withIntermediateDirectories: true)
        try NIfTIWriter.write(l.map(values), to: path)
    }

    func writeJSON(_ object: Any, _ path: String) throws {
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    // MARK: the layouts

    func lits(_ dir: String) throws -> String {
        for (n, ct, l) in phantoms { try write(ct, "\(dir)/volume-\(n).nii.gz"); try write(l, "\(dir)/segmentation-\(n).nii.gz") }
        return dir
    }

    func msd(_ dir: String) throws -> String {
        for (n, ct, l) in phantoms { try write(ct, "\(dir)/imagesTr/liver_\(n).nii.gz"); try write(l, "\(dir)/labelsTr/liver_\(n).nii.gz") }
        try writeJSON(["name": "Liver", "modality": ["0": "CT"], "labels": ["0": "background", "1": "liver", "2": "cancer"]], "\(dir)/dataset.json")
        return dir
    }

    /// nnU-Net with the classes numbered the other way round (tumor 1, liver 2): only its
    /// dataset.json says so.
    func nnunet(_ dir: String) throws -> String {
        for (n, ct, l) in phantoms {
            let id = String(format: "liver_%03d", n)
            try write(ct, "\(dir)/imagesTr/\(id)_0000.nii.gz")
            try write(l, "\(dir)/labelsTr/\(id).nii.gz") { [0, 2, 1][Int($0)] }
        }
        try writeJSON(["channel_names": ["0": "CT"], "labels": ["background": 0, "tumor": 1, "liver": 2],
                       "numTraining": 2, "file_ending": ".nii.gz"], "\(dir)/dataset.json")
        return dir
    }

    func datalist(_ dir: String) throws -> String {
        var training: [[String: String]] = []
        for (n, ct, l) in phantoms {
            try write(ct, "\(dir)/images/scan\(n).nii.gz")
            try write(l, "\(dir)/masks/scan\(n).nii.gz")
            training.append(["image": "images/scan\(n).nii.gz", "label": "./masks/scan\(n).nii.gz"])
        }
        try writeJSON(["training": training, "test": []], "\(dir)/datalist.json")
        return "\(dir)/datalist.json"
    }

    func caseFolders(_ dir: String) throws -> String {
        for (n, ct, l) in phantoms { try write(ct, "\(dir)/p\(n)/ct.nii.gz"); try write(l, "\(dir)/p\(n)/liver.nii.gz") }
        return dir
    }

    /// TotalSegmentator's per-structure binary masks: liver (tumour included), the tumour, and
    /// another organ that is not read.
    func totalSegmentatorMasks(_ dir: String) throws -> String {
        for (n, ct, l) in phantoms {
            try write(ct, "\(dir)/p\(n)/ct.nii.gz")
            try write(l, "\(dir)/p\(n)/segmentations/liver.nii.gz") { $0 > 0 ? 1 : 0 }
            try write(l, "\(dir)/p\(n)/segmentations/liver_tumor.nii.gz") { $0 == 2 ? 1 : 0 }
            try write(l, "\(dir)/p\(n)/segmentations/spleen.nii.gz") { $0 == 0 ? 1 : 0 }
        }
        return dir
    }

    /// TotalSegmentator's multilabel map: liver 5, a tumour class 6, and the spleen (1) where
    /// lits' background is.
    func totalSegmentatorMultilabel(_ dir: String) throws -> String {
        for (n, ct, l) in phantoms {
            try write(ct, "\(dir)/p\(n)/ct.nii.gz")
            try write(l, "\(dir)/p\(n)/segmentations.nii.gz") { $0 == 0 ? 1 : $0 + 4 }
        }
        return dir
    }

    func loadAll(_ path: String) throws -> [LoadedCase] {
        try Dataset.discover(path).map { try CaseLoader.load($0) }
    }

    func assertSame(_ cases: [LoadedCase], as reference: [LoadedCase], _ what: String) {
        XCTAssertEqual(cases.count, reference.count, what)
        for (a, b) in zip(cases, reference) {
            XCTAssertEqual(a.ct.voxels, b.ct.voxels, "\(what) \(a.info.id): CT")
            XCTAssertEqual(a.grid.affine, b.grid.affine, "\(what) \(a.info.id): affine")
            XCTAssertEqual(a.labels?.voxels, b.labels?.voxels, "\(what) \(a.info.id): labels")
            XCTAssertNotNil(a.labels, "\(what) \(a.info.id)")
        }
    }

    func testEveryLayoutGivesTheSameCasesVoxelsAndLabels() throws {
        let dir = try makeTempDir(self)
        let reference = try loadAll(try lits(dir + "/lits"))
        XCTAssertEqual(reference.map(\.info.id), ["3", "7"])
        XCTAssertTrue(reference[0].labels!.voxels.contains(2), "the phantom has a tumour")

        let msdCases = try loadAll(try msd(dir + "/msd"))
        XCTAssertEqual(msdCases.map(\.info.id), ["3", "7"])
        assertSame(msdCases, as: reference, "MSD")

        let nn = try loadAll(try nnunet(dir + "/nnunet"))
        XCTAssertEqual(nn.map(\.info.id), ["liver_003", "liver_007"])
        XCTAssertEqual(nn.map(\.info.layout), [.nnunet, .nnunet])
        assertSame(nn, as: reference, "nnU-Net")

        let dl = try loadAll(try datalist(dir + "/datalist"))
        XCTAssertEqual(dl.map(\.info.id), ["scan3", "scan7"])
        assertSame(dl, as: reference, "datalist")

        let folders = try loadAll(try caseFolders(dir + "/folders"))
        XCTAssertEqual(folders.map(\.info.id), ["p3", "p7"])
        assertSame(folders, as: reference, "case folders")

        assertSame(try loadAll(try totalSegmentatorMasks(dir + "/totalseg")), as: reference, "TotalSegmentator masks")

        let multilabel = try totalSegmentatorMultilabel(dir + "/multilabel")
        CommandLineLabels.truth = try LabelMapping(parsing: "liver=5,tumor=6,background=rest")
        assertSame(try loadAll(multilabel), as: reference, "TotalSegmentator multilabel with --labels")
    }

    func testUnmappedLabelValueIsRefusedNamingFileValueAndCount() throws {
        let dir = try makeTempDir(self)
        let multilabel = try totalSegmentatorMultilabel(dir + "/multilabel")
        let c = try Dataset.discover(multilabel)[0]
        let liver = phantoms[0].2.voxels.filter { $0 == 1 }.count
        expectError(.invalidValues, path: c.segmentationPath!, containing: "5 (\(liver) voxels)") { _ = try CaseLoader.load(c) }

        // nnU-Net: a value its dataset.json does not name.
        let nn = try nnunet(dir + "/nnunet")
        let label = "\(nn)/labelsTr/liver_003.nii.gz"
        try write(phantoms[0].2, label) { $0 == 2 ? 3 : $0 }
        let tumour = phantoms[0].2.voxels.filter { $0 == 2 }.count
        let nc = try Dataset.discover(nn)[0]
        expectError(.invalidValues, path: label, containing: "label values with no mapping: 3 (\(tumour) voxels)") { _ = try CaseLoader.load(nc) }
    }

    func testUnknownAndMissingChannelsAreRefused() throws {
        let dir = try makeTempDir(self)
        let nn = try nnunet(dir + "/nnunet")
        try write(phantoms[0].1, "\(nn)/imagesTr/liver_003_0001.nii.gz")
        expectError(.unsupported, path: "\(nn)/imagesTr/liver_003_0001.nii.gz", containing: "channel 0001 is not in") { _ = try Dataset.discover(nn) }

        let two = try nnunet(dir + "/two")
        try writeJSON(["channel_names": ["0": "CT", "1": "PET"], "labels": ["background": 0, "liver": 1], "file_ending": ".nii.gz"], "\(two)/dataset.json")
        expectError(.unsupported, path: "\(two)/dataset.json", containing: "channel_names declares 2 channels") { _ = try Dataset.discover(two) }

        let missing = try nnunet(dir + "/missing")
        try FileManager.default.removeItem(atPath: "\(missing)/imagesTr/liver_007_0000.nii.gz")
        expectError(.invalidArgument, path: "\(missing)/labelsTr/liver_007.nii.gz", containing: "segmentation without a volume") { _ = try Dataset.discover(missing) }
    }

    func testAmbiguousIdsAreRefused() throws {
        let dir = try makeTempDir(self)
        // A datalist naming two images of the same file name.
        try write(phantoms[0].1, "\(dir)/a/scan3.nii.gz")
        try write(phantoms[0].1, "\(dir)/b/scan3.nii.gz")
        try writeJSON(["training": [["image": "a/scan3.nii.gz"], ["image": "b/scan3.nii.gz"]]], "\(dir)/list.json")
        expectError(.invalidArgument, path: "\(dir)/list.json", containing: "case scan3 appears twice") { _ = try Dataset.discover("\(dir)/list.json") }

        // A case folder with two label forms.
        let folders = try caseFolders(dir + "/folders")
        try write(phantoms[0].2, "\(folders)/p3/segmentations/liver.nii.gz")
        expectError(.invalidArgument, path: "\(folders)/p3", containing: "keep one label form") { _ = try Dataset.discover(folders) }
    }

    /// The same ids in two inputs: the later input's are qualified by its folder name, in every
    /// command (this rule was `lits qa`'s alone).
    func testSameIdInTwoInputsIsQualifiedByFolder() throws {
        let dir = try makeTempDir(self)
        let a = try lits(dir + "/train"), b = try lits(dir + "/test")
        let cases = try Dataset.discover([a, b])
        XCTAssertEqual(cases.map(\.id), ["3", "7", "test-3", "test-7"])
        XCTAssertEqual(cases[2].volumePath, "\(b)/volume-3.nii.gz")
    }

    func testLabelMappingParsing() throws {
        let m = try LabelMapping(parsing: "liver=5+9,tumor=6,background=rest")
        XCTAssertEqual(m.classes, [0: 0, 5: 1, 9: 1, 6: 2])
        XCTAssertEqual(m.rest, 0)
        XCTAssertThrowsError(try LabelMapping(parsing: "spleen=1"))
        XCTAssertThrowsError(try LabelMapping(parsing: "liver=5,tumor=5"))
        XCTAssertThrowsError(try LabelMapping(parsing: "liver=rest"))
    }
}
