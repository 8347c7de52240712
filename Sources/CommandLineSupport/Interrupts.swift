import Foundation
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM handling: the first request is recorded for the program to act on
/// at a safe point; a second one ends the process at once with status 130.
public enum Interrupts {
    static let count = Atomic<Int>(0)

    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            let seen = Interrupts.count.add(1, ordering: .relaxed).newValue
            if seen >= 2 { _exit(130) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    public static var requested: Bool { count.load(ordering: .relaxed) > 0 }

    /// The exit status of an interrupted program.
    public static let exitStatus: Int32 = 130
}
