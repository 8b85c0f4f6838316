import Foundation
import XCTest
import LiTSCore
@testable import LiTSImaging

/// cc3d (connected-components-3d 4.1.1) defines the expected components
/// (scripts/make_components_fixture.py wrote Fixtures/components_*.json and components_blobs.nii.gz).
final class ConnectedComponentsTests: XCTestCase {
    static func fixtureURL(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    static func readLabels(_ path: String) throws -> LabelMap {
        let (v, _) = try NIfTIReader.readFloat(path: path)
        return v.map { UInt8($0) }
    }

    /// Our labels and statistics against one cc3d summary (a list in first-voxel order).
    func assertMatches(_ c: ComponentLabels, _ expected: [[String: Any]], _ what: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(c.count, expected.count, "\(what): component count", file: file, line: line)
        let stats = ConnectedComponents.statistics(c)
        XCTAssertEqual(stats.count, c.count, file: file, line: line)
        for (n, (s, e)) in zip(stats, expected).enumerated() {
            XCTAssertEqual(s.label, Int32(n + 1), file: file, line: line)
            XCTAssertEqual(s.voxelCount, e["voxels"] as! Int, "\(what): voxels of component \(n + 1)", file: file, line: line)
            XCTAssertEqual(s.bboxMin, e["bbox_min"] as! [Int], "\(what): bbox min of component \(n + 1)", file: file, line: line)
            XCTAssertEqual(s.bboxMax, e["bbox_max"] as! [Int], "\(what): bbox max of component \(n + 1)", file: file, line: line)
            let centroid = e["centroid"] as! [Double]
            for a in 0..<3 {
                XCTAssertEqual(s.centroid[a], centroid[a], accuracy: 1e-9, "\(what): centroid of component \(n + 1)", file: file, line: line)
            }
        }
        // Numbering is by first voxel in raster order: the first voxel of label n comes before that of n + 1.
        var seen: Int32 = 0
        for l in c.labels where l > seen {
            XCTAssertEqual(l, seen + 1, "\(what): labels not numbered in raster order", file: file, line: line)
            seen = l
        }
    }

    func testBlobsMatchCC3D() throws {
        let doc = try Self.json(Self.fixtureURL("components_blobs.json"))
        let labels = try Self.readLabels(Self.fixtureURL("components_blobs.nii.gz").path)
        XCTAssertEqual(labels.shape, doc["shape"] as! [Int])
        XCTAssertEqual(labels.labelCounts()[2], doc["tumor_voxels"] as! Int)
        let tumor = doc["tumor"] as! [String: [[String: Any]]]
        for conn in Connectivity.allCases {
            let c = ConnectedComponents.label(labels, value: 2, connectivity: conn)
            assertMatches(c, tumor[String(conn.rawValue)]!, "tumor, \(conn.rawValue)-connectivity")
            // The Bool-mask entry point agrees with the LabelMap one.
            let viaMask = ConnectedComponents.label(shape: labels.shape, mask: labels.voxels.map { $0 == 2 }, connectivity: conn)
            XCTAssertEqual(viaMask.labels, c.labels)
        }
        let liver = ConnectedComponents.label(labels, atLeast: 1, connectivity: .twentySix)
        assertMatches(liver, doc["liver_26"] as! [[String: Any]], "liver >= 1, 26-connectivity")
        // The three connectivities are nested: more neighbours, fewer components.
        let counts = Connectivity.allCases.map { ConnectedComponents.label(labels, value: 2, connectivity: $0).count }
        XCTAssertTrue(counts[0] > counts[1] && counts[1] > counts[2], "\(counts)")
    }

    func testSampleCaseMatchesCC3D() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("data/sample/segmentation-117.nii.gz").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("sample not fetched; run make sample") }
        let doc = try Self.json(Self.fixtureURL("components_sample117.json"))
        let labels = try Self.readLabels(path)
        XCTAssertEqual(labels.shape, doc["shape"] as! [Int])
        XCTAssertEqual(labels.labelCounts()[2], doc["tumor_voxels"] as! Int)
        let tumor = doc["tumor"] as! [String: [[String: Any]]]
        for conn in [Connectivity.six, .twentySix] {
            assertMatches(ConnectedComponents.label(labels, value: 2, connectivity: conn), tumor[String(conn.rawValue)]!,
                          "sample 117 tumor, \(conn.rawValue)-connectivity")
        }
    }

    // MARK: - Hand-made cases

    func labels(_ shape: [Int], _ on: [(Int, Int, Int)], _ conn: Connectivity) -> ComponentLabels {
        var mask = [Bool](repeating: false, count: shape.reduce(1, *))
        for (i, j, k) in on { mask[i + shape[0] * (j + shape[1] * k)] = true }
        return ConnectedComponents.label(shape: shape, mask: mask, connectivity: conn)
    }

    func testCornerContact() {
        // Every one of the 8 corner directions, from both orders of visiting.
        for di in [-1, 1] { for dj in [-1, 1] { for dk in [-1, 1] {
            let on = [(1, 1, 1), (1 + di, 1 + dj, 1 + dk)]
            XCTAssertEqual(labels([3, 3, 3], on, .twentySix).count, 1, "corner \(di),\(dj),\(dk)")
            XCTAssertEqual(labels([3, 3, 3], on, .eighteen).count, 2, "corner \(di),\(dj),\(dk)")
            XCTAssertEqual(labels([3, 3, 3], on, .six).count, 2, "corner \(di),\(dj),\(dk)")
        } } }
    }

    func testEdgeContact() {
        for (a, b) in [(-1, -1), (-1, 1), (1, -1), (1, 1)] {
            for axes in [[a, b, 0], [a, 0, b], [0, a, b]] {
                let on = [(1, 1, 1), (1 + axes[0], 1 + axes[1], 1 + axes[2])]
                XCTAssertEqual(labels([3, 3, 3], on, .twentySix).count, 1, "edge \(axes)")
                XCTAssertEqual(labels([3, 3, 3], on, .eighteen).count, 1, "edge \(axes)")
                XCTAssertEqual(labels([3, 3, 3], on, .six).count, 2, "edge \(axes)")
            }
        }
        for d in [(1, 0, 0), (0, 1, 0), (0, 0, 1)] {
            for conn in Connectivity.allCases {
                XCTAssertEqual(labels([3, 3, 3], [(1, 1, 1), (1 + d.0, 1 + d.1, 1 + d.2)], conn).count, 1, "face \(d)")
            }
        }
    }

    func testNoWrapAroundAtRowAndSliceEnds() {
        for conn in Connectivity.allCases {
            // Opposite ends of one row.
            XCTAssertEqual(labels([5, 4, 3], [(0, 2, 1), (4, 2, 1)], conn).count, 2)
            // End of a row and start of the next: neighbours in memory, not in space.
            XCTAssertEqual(labels([5, 4, 3], [(4, 1, 1), (0, 2, 1)], conn).count, 2)
            // ... and diagonally: (4, 1, 1) and (0, 2, 2) are 26-neighbours in memory layout terms only.
            XCTAssertEqual(labels([5, 4, 3], [(4, 1, 1), (0, 2, 2)], conn).count, 2)
            XCTAssertEqual(labels([5, 4, 3], [(0, 1, 1), (4, 0, 0)], conn).count, 2)
            // End of a slice and start of the next.
            XCTAssertEqual(labels([5, 4, 3], [(4, 3, 0), (0, 0, 1)], conn).count, 2)
            // First and last row of a slice, first and last slice.
            XCTAssertEqual(labels([5, 4, 3], [(2, 0, 1), (2, 3, 1)], conn).count, 2)
            XCTAssertEqual(labels([5, 4, 3], [(2, 2, 0), (2, 2, 2)], conn).count, 2)
            // Full rows at the two i faces of every row: 2 columns of voxels, never merged.
            var on: [(Int, Int, Int)] = []
            for k in 0..<3 { for j in 0..<4 { on.append((0, j, k)); on.append((4, j, k)) } }
            let c = labels([5, 4, 3], on, conn)
            XCTAssertEqual(c.count, 2)
            XCTAssertEqual(ConnectedComponents.statistics(c).map(\.voxelCount), [12, 12])
        }
    }

    func testEmptyAllAndSingle() {
        for conn in Connectivity.allCases {
            let empty = labels([7, 6, 5], [], conn)
            XCTAssertEqual(empty.count, 0)
            XCTAssertTrue(empty.labels.allSatisfy { $0 == 0 })
            XCTAssertEqual(ConnectedComponents.statistics(empty), [])

            let all = ConnectedComponents.label(shape: [7, 6, 5], mask: [Bool](repeating: true, count: 210), connectivity: conn)
            XCTAssertEqual(all.count, 1)
            XCTAssertTrue(all.labels.allSatisfy { $0 == 1 })
            XCTAssertEqual(ConnectedComponents.statistics(all),
                           [ComponentStats(label: 1, voxelCount: 210, bboxMin: [0, 0, 0], bboxMax: [6, 5, 4], centroid: [3, 2.5, 2])])

            let single = labels([7, 6, 5], [(3, 4, 2)], conn)
            XCTAssertEqual(single.count, 1)
            XCTAssertEqual(ConnectedComponents.statistics(single),
                           [ComponentStats(label: 1, voxelCount: 1, bboxMin: [3, 4, 2], bboxMax: [3, 4, 2], centroid: [3, 4, 2])])
            XCTAssertEqual(labels([1, 1, 1], [(0, 0, 0)], conn).labels, [1])
            XCTAssertEqual(labels([1, 1, 1], [], conn).count, 0)
        }
    }

    func testNumberingFollowsFirstVoxelInRasterOrder() {
        // A "U" whose two arms start before a separate voxel but join only at a later slice: the
        // provisional labels merge, and the final numbering must still be 1, 1, 2, ...
        var on: [(Int, Int, Int)] = [(0, 0, 0), (4, 0, 0), (2, 3, 0)]
        for k in 1..<4 { on.append((0, 0, k)); on.append((4, 0, k)) }
        for i in 0..<5 { on.append((i, 0, 3)) }
        let c = labels([5, 4, 4], on, .six)
        XCTAssertEqual(c.count, 2)
        XCTAssertEqual(c.labels[0], 1)
        XCTAssertEqual(c.labels[4], 1)
        XCTAssertEqual(c.labels[2 + 5 * 3], 2)
    }

    func testLabelMapPredicates() {
        let grid = Grid(shape: [4, 3, 2], spacing: [1, 1, 1])
        var lm = LabelMap(grid: grid, repeating: 0)
        lm[0, 0, 0] = 1; lm[1, 0, 0] = 2; lm[3, 2, 1] = 2; lm[2, 2, 1] = 1
        XCTAssertEqual(ConnectedComponents.label(lm, value: 2).count, 2)
        XCTAssertEqual(ConnectedComponents.label(lm, value: 1).count, 2)
        XCTAssertEqual(ConnectedComponents.label(lm, atLeast: 1).count, 2)
        XCTAssertEqual(ConnectedComponents.label(lm, value: 0, connectivity: .six).count, 1)
        XCTAssertEqual(ConnectedComponents.label(lm, atLeast: 3).count, 0)
    }

    /// Random volumes against a plain breadth-first flood fill, for every connectivity.
    func testRandomVolumesAgainstFloodFill() {
        var rng = SplitMix64(seed: 42)
        for trial in 0..<30 {
            let shape = [1 + Int(rng.next() % 13), 1 + Int(rng.next() % 9), 1 + Int(rng.next() % 7)]
            let density = [0.1, 0.2, 0.3, 0.5, 0.8][trial % 5]
            let n = shape.reduce(1, *)
            let mask = (0..<n).map { _ in Double(rng.next() % 1000) / 1000 < density }
            for conn in Connectivity.allCases {
                let c = ConnectedComponents.label(shape: shape, mask: mask, connectivity: conn)
                let expected = floodFill(shape, mask, conn)
                let firstDifference = zip(c.labels, expected).enumerated().first { $0.element.0 != $0.element.1 }
                XCTAssertNil(firstDifference, "trial \(trial) shape \(shape) \(conn): first difference (voxel, ours, flood fill)")
                XCTAssertEqual(c.count, Int(expected.max() ?? 0))
            }
        }
    }

    func floodFill(_ shape: [Int], _ mask: [Bool], _ conn: Connectivity) -> [Int32] {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        var out = [Int32](repeating: 0, count: mask.count)
        var offsets: [(Int, Int, Int)] = []
        for dk in -1...1 { for dj in -1...1 { for di in -1...1 {
            let m = abs(di) + abs(dj) + abs(dk)
            if m == 0 || (conn == .six && m > 1) || (conn == .eighteen && m > 2) { continue }
            offsets.append((di, dj, dk))
        } } }
        var next: Int32 = 0
        for start in 0..<mask.count where mask[start] && out[start] == 0 {
            next += 1
            out[start] = next
            var stack = [start]
            while let p = stack.popLast() {
                let i = p % nx, j = (p / nx) % ny, k = p / (nx * ny)
                for (di, dj, dk) in offsets {
                    let a = i + di, b = j + dj, c = k + dk
                    guard a >= 0, a < nx, b >= 0, b < ny, c >= 0, c < nz else { continue }
                    let q = a + nx * (b + ny * c)
                    if mask[q] && out[q] == 0 { out[q] = next; stack.append(q) }
                }
            }
        }
        return out
    }
}

/// A small seeded generator for test data.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
