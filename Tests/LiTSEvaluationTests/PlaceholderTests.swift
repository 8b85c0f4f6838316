import XCTest
@testable import LiTSEvaluation

final class ModuleBuildsTests: XCTestCase {
    func testModuleBuilds() {}
}
