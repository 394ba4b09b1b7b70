CREATE TABLE "collection_terms" (
	"collection_id" text NOT NULL,
	"lexeme" text NOT NULL,
	"shard" integer NOT NULL,
	"chunks" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "collection_terms_collection_id_lexeme_shard_pk" PRIMARY KEY("collection_id","lexeme","shard")
);
--> statement-breakpoint
ALTER TABLE "collection_terms" ADD CONSTRAINT "collection_terms_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE cascade ON UPDATE no action;