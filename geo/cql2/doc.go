// Package cql2 parses filters in the OGC Common Query Language, CQL2
// (OGC 21-065r2, version 1.0.0), from both of its encodings, cql2-text and
// cql2-json, into one tree of Expr nodes. It knows no database and no
// catalog: compiling the tree to SQL against a layer's columns is the
// caller's work, helped by Walk, Properties and Check.
//
// # Grammar
//
// ParseText follows the BNF of the standard (annex B, cql2.bnf) and
// ParseJSON its JSON Schema (annex A, cql2.json), both kept with the
// standard's examples in testdata/standard. Every conformance class is
// parsed: Basic CQL2 (=, <>, <, <=, >, >=, IS [NOT] NULL, AND, OR, NOT;
// string, number, boolean, DATE and TIMESTAMP literals; properties),
// Advanced comparison operators ([NOT] LIKE, [NOT] BETWEEN, [NOT] IN),
// Case-insensitive comparison (CASEI), Accent-insensitive comparison
// (ACCENTI), Basic spatial functions (S_INTERSECTS with WKT, GeoJSON and
// BBOX literals), Spatial functions (S_EQUALS, S_DISJOINT, S_TOUCHES,
// S_WITHIN, S_OVERLAPS, S_CROSSES, S_CONTAINS), Temporal functions (the 15
// T_* functions, with INTERVAL and its open end '..'), Array functions
// (A_EQUALS, A_CONTAINS, A_CONTAINEDBY, A_OVERLAPS), Property-property
// comparisons, Arithmetic (+ - * / % div ^) and function calls. The parser
// accepts any function name that is not a keyword; which functions exist is
// for Check's Env, or the compiler, to say.
//
// One tree for both encodings means cql2-text is read as cql2-json spells
// it: "x NOT LIKE p" is Not(Like), "x IS NOT NULL" is Not(IsNull), "-x" on
// a non-literal is -1 * x, and a chain "a AND b AND c" is one Logical node
// with three arguments. Keywords are case-insensitive in cql2-text, as are
// the operator names in cql2-json ("AND", "S_INTERSECTS" are accepted);
// function and property names keep their case.
//
// Choices where the standard leaves room, each the same in both encodings:
//   - Geometries are two-dimensional orb values: a z coordinate (POINT Z,
//     or a third number in a position or BBOX) is read and dropped. EMPTY
//     geometries and empty coordinate arrays are refused, as are rings that
//     do not end where they start. A GEOMETRYCOLLECTION holds at least one
//     geometry and no other collection. MULTIPOINT(1 2, 3 4) is accepted
//     beside MULTIPOINT((1 2), (3 4)).
//   - BBOX keeps west > east (a box across the antimeridian) but refuses a
//     south edge north of the north edge.
//   - Dates and timestamps are checked against the calendar; timestamps
//     are in UTC ("Z") with at most nanosecond precision. An INTERVAL whose
//     literal start comes after its literal end is refused.
//   - Numbers are float64.
//   - Property and function names in cql2-json must be CQL2 identifiers,
//     and function names must not be cql2-text keywords, so that every
//     tree can be written in cql2-text.
//   - In cql2-text strings a quote is written twice or after a backslash,
//     \\ is a backslash, and \a \b \t \n \v \f \r are control characters
//     (/req/cql2-text/escaping); a backslash before anything else stays,
//     so the LIKE escape in '100\%' reaches the pattern. Other C0 control characters are refused in
//     strings of both encodings.
//   - In a function argument or array element, where the BNF is
//     ambiguous, a parenthesised group that is the whole argument is an
//     array ("f((1))" passes an array of one number) and a group followed by
//     more of an expression is an operand ("f((a + 1) * 2)").
//   - In cql2-json, members other than the ones of each construct are
//     refused (a misspelt "arg" is an error, not ignored), except the
//     foreign members GeoJSON allows in geometries; null is refused.
//
// # Positions and errors
//
// Every node has a Pos. In cql2-text it is the byte offset and the line
// and column (in characters, from 1) where the node starts, or of its
// operator for infix operators; in cql2-json it is the JSON pointer of the
// node's value ("#/args/1/args/0") and its byte offset. Every error is an
// *Error with such a position and a message meant for the person who wrote
// the filter, saying what was expected:
//
//	at 1:8: expected a comparison operator (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN or IS NULL) after property name 'floors', got number 5
//	at #/args/1 (line 1, column 28): "like" takes 2 arguments, got 3
//
// # Limits
//
// A filter comes from outside, so each parse is bounded by Limits, checked
// while parsing and before the work they bound (the zero Limits, and
// ParseText and ParseJSON, use DefaultLimits):
//
//	MaxLength    512 KiB  input size, checked first
//	MaxDepth     64       nesting of nodes; in cql2-text each parenthesis,
//	                      NOT, sign or call is a level; bounds the recursion
//	MaxNodes     2000     nodes of the tree, not counting vertices
//	MaxVertices  20000    coordinates of all geometry literals together
//	MaxString    1000     bytes of one string, property or function name
//
// The work of both parsers is linear in the input: cql2-text is read in one
// pass with one token of look-ahead; cql2-json is scanned once into a tree
// of JSON values, itself bounded in nesting (2×MaxDepth+6) and in number of
// values, then converted once.
//
// # Printing
//
// Text writes a tree in canonical cql2-text (keywords upper case, property
// names quoted, NOT in front, parentheses around nested AND/OR and every
// arithmetic operand); JSON writes cql2-json. Both read back Equal trees,
// which the fuzz tests check.
package cql2
