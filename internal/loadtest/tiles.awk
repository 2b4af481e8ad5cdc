# tiles.awk prints the WebMercatorQuad tiles "z/x/y" covering a lon/lat box
# at each zoom from Z0 to Z1.
#   awk -v minlon=9.45 -v minlat=45.23 -v maxlon=9.92 -v maxlat=45.51 -v z0=8 -v z1=14 -f tiles.awk
function tx(lon, z) { return int((lon + 180) / 360 * 2^z) }
function ty(lat, z,   r) { r = lat * 3.141592653589793 / 180; return int((1 - log(sin(r)/cos(r) + 1/cos(r)) / 3.141592653589793) / 2 * 2^z) }
BEGIN {
	for (z = z0; z <= z1; z++)
		for (x = tx(minlon, z); x <= tx(maxlon, z); x++)
			for (y = ty(maxlat, z); y <= ty(minlat, z); y++)
				print z "/" x "/" y
}
