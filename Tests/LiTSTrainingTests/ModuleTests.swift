import XCTest
@testable import LiTSTraining

final class TrainingModuleBuildsTests: XCTestCase {
    func testModuleBuilds() {}
}
