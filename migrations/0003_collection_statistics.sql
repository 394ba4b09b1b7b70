CREATE TABLE "collection_statistics" (
	"collection_id" text NOT NULL,
	"shard" integer NOT NULL,
	"chunks" bigint DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "collection_statistics_collection_id_shard_pk" PRIMARY KEY("collection_id","shard")
);
--> statement-breakpoint
ALTER TABLE "collection_statistics" ADD CONSTRAINT "collection_statistics_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE cascade ON UPDATE no action;