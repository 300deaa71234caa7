"""Push-vs-pull comparisons: the line twin (`twin/`, pure numpy, no Django) and its Django
side: comparisons started by planners or the API, the nightly shadow runs, the
`compare` command.
"""
