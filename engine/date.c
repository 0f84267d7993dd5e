/*  date.c - ISO 8601 date parsing into day numbers. See date.h. */
#include "date.h"

#include <stddef.h>

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
   calendar, no tables, no libc time zone involvement. */
int32_t date_from_civil(int year, int month, int day)
{
    year -= month <= 2;
    int era = (year >= 0 ? year : year - 399) / 400;
    int yoe = year - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t) (era * 146097 + doe - 719468);
}

static bool digits(const char *text, int count, int *value)
{
    int result = 0;
    for (int i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        result = result * 10 + (text[i] - '0');
    }
    *value = result;
    return true;
}

static int month_length(int year, int month)
{
    static const int lengths[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : lengths[month - 1];
}

/* Parses the date part; returns a pointer past it or NULL. */
static const char *parse_date_part(const char *text, int32_t *day)
{
    int year, month, mday;
    if (!text || !digits(text, 4, &year) || text[4] != '-' || !digits(text + 5, 2, &month)
        || text[7] != '-' || !digits(text + 8, 2, &mday))
        return NULL;
    if (year < 1 || month < 1 || month > 12 || mday < 1 || mday > month_length(year, month))
        return NULL;
    *day = date_from_civil(year, month, mday);
    return text + 10;
}

bool date_parse_day(const char *text, int32_t *day)
{
    int32_t result;
    const char *end = parse_date_part(text, &result);
    if (!end || *end)
        return false;
    *day = result;
    return true;
}

bool date_parse_iso(const char *text, int32_t *day)
{
    int32_t result;
    const char *cursor = parse_date_part(text, &result);
    if (!cursor)
        return false;
    if (*cursor == 'T' || *cursor == 't' || *cursor == ' ') {
        int hour, minute, second;
        cursor++;
        if (!digits(cursor, 2, &hour) || cursor[2] != ':' || !digits(cursor + 3, 2, &minute)
            || hour > 23 || minute > 59)
            return false;
        cursor += 5;
        if (*cursor == ':') {
            if (!digits(cursor + 1, 2, &second) || second > 60)
                return false;
            cursor += 3;
            if (*cursor == '.' || *cursor == ',') {
                cursor++;
                if (*cursor < '0' || *cursor > '9')
                    return false;
                while (*cursor >= '0' && *cursor <= '9')
                    cursor++;
            }
        }
        if (*cursor == 'Z' || *cursor == 'z')
            cursor++;
        else if (*cursor == '+' || *cursor == '-') {
            int zone_hour, zone_minute;
            cursor++;
            if (!digits(cursor, 2, &zone_hour) || zone_hour > 23)
                return false;
            cursor += 2;
            if (*cursor == ':')
                cursor++;
            if (!digits(cursor, 2, &zone_minute) || zone_minute > 59)
                return false;
            cursor += 2;
        }
    }
    if (*cursor)
        return false;
    *day = result;
    return true;
}
