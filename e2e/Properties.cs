// Each browser test class starts its own app with its own Postgres; on two cores several at once
// starve each other (a key check or a shutdown then outlasts its timeout). One class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
