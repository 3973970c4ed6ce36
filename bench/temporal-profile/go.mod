module temporalprofile

go 1.21
