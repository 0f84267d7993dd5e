/*  date.h - calendar dates as day numbers (internal).

    Dates are parsed once, when a bundle is read, into day numbers (days
    since 1970-01-01), so ages and expiry are integer subtractions during
    evaluation.
*/
#ifndef ASSAY_DATE_H_INCLUDED
#define ASSAY_DATE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

/* No date: missing, invalid or not yet parsed. */
#define DATE_NONE INT32_MIN

int32_t date_from_civil(int year, int month, int day);
/* Strict "YYYY-MM-DD" (the form as_of takes). */
bool date_parse_day(const char *text, int32_t *day);
/* ISO 8601 calendar date, optionally with a time:
   YYYY-MM-DD[(T| )hh:mm[:ss[.fff]][Z|(+|-)hh[:]mm]]. The time is checked
   but does not move the day: ages are counted in calendar days. */
bool date_parse_iso(const char *text, int32_t *day);

#endif
