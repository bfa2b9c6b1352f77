#include "relate/version.hpp"

#define RELATE_STRINGIZE2(x) #x
#define RELATE_STRINGIZE(x) RELATE_STRINGIZE2(x)

namespace relate {

// The three numbers and the string are written separately in the header; a
// release that bumps one and forgets the other stops compiling here.
static_assert(std::string_view(RELATE_VERSION_STRING) ==
                  RELATE_STRINGIZE(RELATE_VERSION_MAJOR) "." RELATE_STRINGIZE(
                      RELATE_VERSION_MINOR) "." RELATE_STRINGIZE(RELATE_VERSION_PATCH),
              "RELATE_VERSION_STRING does not match the MAJOR, MINOR and PATCH macros");

// Compiled into the library, so that it reports the version the library was
// built as, whatever headers a program includes.
std::string_view version() noexcept { return RELATE_VERSION_STRING; }

}  // namespace relate
