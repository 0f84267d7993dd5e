/*  display.h - text from storage made safe to print on a terminal.

    Owns the one rule every human-readable (table / text) output of the CLI
    applies to texts it did not write itself: override reasons, `by`
    names, unit names, check texts, messages from the broker, evidence ids,
    batch names... They come from bundles, catalogs and other people, and a
    control character in them (ESC ] 0 ; ... sets the window title, ESC [ 2 J
    clears the screen, a lone CSI byte does both on some terminals) would
    drive the reader's terminal. So, within one field:

    * C0 controls (U+0000-U+001F, including \n and \t: a field is one line
      of a table) and DEL become \xHH ("\x1b", "\x7f");
    * C1 controls U+0080-U+009F, written as UTF-8, become \u00HH ("\u009b");
    * a byte that is not part of valid UTF-8 becomes \xHH (an 8-bit
      terminal would read 0x9b as CSI);
    * everything else, backslashes and UTF-8 text such as "Zürich"
      included, is left as it is, so ordinary data prints unchanged.

    Table and text outputs escape unconditionally (whether or not stdout is
    a terminal: the text may be paged or cat'ed later). Machine formats
    (json, jsonl, csv, junit, oscal) never use this: they keep the data.
*/
#ifndef ASSAY_CLIENT_DISPLAY_H_INCLUDED
#define ASSAY_CLIENT_DISPLAY_H_INCLUDED

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether `text` holds anything display_escape would change. */
bool display_needs_escape(const char *text);

/* The escaped text (NULL reads as ""); caller frees. NULL when out of
   memory. */
char *display_escape(const char *text);

/* The escaped text into `out` (size > 0), cut short at an escape or
   character boundary when it does not fit. Returns `out`. */
char *display_escape_into(const char *text, char *out, size_t size);

/* Escape, in place, every string of a JSON document (values and member
   names), for printers that print straight from a broker's answer.
   Returns 0, or -1 when out of memory (the document is then partly
   escaped). */
int display_escape_json(cJSON *item);

#endif
