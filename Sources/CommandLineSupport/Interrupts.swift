import CharRNN
import Foundation
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM handling: the first request is recorded for the program to act on
/// at a safe point; a second one ends the process at once with status 130, removing the
/// temporary file of a save in progress (finished checkpoints are never touched).
public enum Interrupts {
    static let count = Atomic<Int>(0)

    public static func install() {
        // Initialised here, not first in the handler.
        _ = unfinishedSavePath
        _ = count.load(ordering: .relaxed)
        let handler: @convention(c) (Int32) -> Void = { _ in
            let seen = Interrupts.count.add(1, ordering: .relaxed).newValue
            if seen >= 2 {
                if unfinishedSavePath[0] != 0 { unlink(unfinishedSavePath) }
                _exit(130)
            }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may have started us with these blocked (the mask is inherited across exec).
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    public static var requested: Bool { count.load(ordering: .relaxed) > 0 }

    /// The exit status of an interrupted program.
    public static let exitStatus: Int32 = 130
}
