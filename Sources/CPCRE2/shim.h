#ifndef FLOTILLA_CPCRE2_SHIM_H
#define FLOTILLA_CPCRE2_SHIM_H

// The 8-bit (UTF-8) library only. pcre2.h names its functions through macros Swift cannot import, so Swift
// calls the suffixed names (pcre2_compile_8, pcre2_match_8...) that those macros expand to.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#endif
