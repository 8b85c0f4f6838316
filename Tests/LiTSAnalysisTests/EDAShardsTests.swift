import Foundation
import XCTest
@testable import LiTSAnalysis

final class EDAShardsTests: XCTestCase {
    func testPartParsesAndSelectsEveryNth() {
        XCTAssertEqual(EDAShards.Part(parsing: "2/3")?.text, "2/3")
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/2/3", ""] { XCTAssertNil(EDAShards.Part(parsing: bad), bad) }
        XCTAssertEqual(EDAShards.Part(parsing: "2/3")!.select(Array(0..<8)), [1, 4, 7])
    }

    func testMissingShardsAreAnErrorOrAWarning() throws {
        let shards = [(part: "a", index: 1, count: 3), (part: "b", index: 3, count: 3)]
        XCTAssertThrowsError(try EDAShards.checkComplete(shards, partial: false))
        XCTAssertEqual(try EDAShards.checkComplete(shards, partial: true), ["shard(s) 2/3 missing; their cases are not in the report"])
        XCTAssertThrowsError(try EDAShards.checkComplete([(part: "a", index: 1, count: 2), (part: "b", index: 2, count: 3)], partial: true))
        XCTAssertEqual(try EDAShards.checkComplete([], partial: false), [])
    }
}
