package repair_test

import (
	"fmt"

	"github.com/cremasco/atlante/geo/repair"
	"github.com/paulmach/orb"
)

func ExampleChecker_Check() {
	c := repair.NewChecker()

	spike := orb.Polygon{{{0, 0}, {10, 0}, {10, 5}, {15, 5}, {10, 5}, {10, 10}, {0, 10}, {0, 0}}}
	res, err := c.Check(spike)
	fmt.Println(res.Repaired, res.Note, err)
	fmt.Println(res.Geometry)

	bowTie := orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}
	_, err = c.Check(bowTie)
	fmt.Println(err)
	// Output:
	// true self-intersection at (15 5) fixed; area unchanged <nil>
	// [[[0 0] [10 0] [10 5] [10 10] [0 10] [0 0]]]
	// self-intersection at (5 5): automatic repair would change the area by 100%, fix the geometry at the source
}

func ExampleChecker_Polygonal() {
	c := repair.NewChecker()
	mp, res, err := c.Polygonal(orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}})
	fmt.Println(mp, res.Note, err)

	_, _, err = c.Polygonal(orb.LineString{{0, 0}, {1, 1}})
	fmt.Println(err)
	// Output:
	// [[[[0 0] [1 0] [1 1] [0 1] [0 0]]]] closed 1 unclosed ring <nil>
	// expected Polygon or MultiPolygon, got LineString
}
