// native/serve/fault_plan.h
// Faults a client can ask for with `X-Confab-Fault` when the relay runs with --faults, so
// the widget's handling of broken networks and providers can be tested against a real
// server. Grammar (docs/relay.md):
//
//   fault-list = fault *( "," fault )
//   fault      = "drop-after=" BYTES          close the connection after BYTES body bytes
//              / "stall-after=" BYTES         send BYTES body bytes, then nothing (until the
//                                             client leaves or the relay drains)
//              / "status=" CODE [ ";retry-after=" SECONDS ]
//                                             answer CODE (400-599) with an error body, and
//                                             the Retry-After header when given
//              / "corrupt-event=" N           break the JSON of the Nth event (1-based)
//              / "slow=" MS                   wait MS before every piece written
//
// Body bytes are those of the reply whatever its source (demo model, replay, upstream).
// Deliberately not done here: the waiting and the closing, which the server does.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace confab::serve {

struct FaultPlan {
    std::optional<std::size_t> drop_after;
    std::optional<std::size_t> stall_after;
    std::optional<int> status;
    std::optional<int> retry_after_s;
    std::optional<std::size_t> corrupt_event;
    std::optional<int> slow_ms;

    bool any() const { return drop_after || stall_after || status || corrupt_event || slow_ms; }
};

// Reads the header's value; the reason when it does not follow the grammar.
std::variant<FaultPlan, std::string> parse_fault_plan(std::string_view header);

// Applies a plan's byte faults to a body as it is written, piece by piece.
class FaultyBody {
public:
    explicit FaultyBody(const FaultPlan& plan) : plan_(plan) {}

    enum class Then { go_on, drop, stall };
    struct Piece {
        std::string bytes;      // what to write now (a prefix of the piece, maybe altered)
        Then then = Then::go_on;
    };

    // The next piece of the body. Once a drop or a stall is due, it returns that and
    // nothing more.
    Piece pass(std::string_view bytes);

private:
    FaultPlan plan_;
    std::size_t written_ = 0;
    // Event counting, by the text/event-stream rule that a blank line ends an event
    // (CR before LF is skipped; a lone CR is not taken for a line end).
    std::size_t event_ = 1;          // the event the next byte belongs to
    bool at_line_start_ = true;
    bool event_has_bytes_ = false;
    bool corrupted_ = false;
    bool ended_ = false;
};

} // namespace confab::serve
